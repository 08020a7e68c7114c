"""Generate llmaudit's bundled sample logs: March 2026 of LLM traffic at "Acme Support".

Acme Support is a SaaS help desk. Its product calls LLMs in five places, each logged in
the shape that system really writes (see README.md next to this file):

    app/requests.jsonl               the product's OpenAI calls, in its own logging wrapper
    support-bot/anthropic.jsonl      the customer-facing chatbot on Claude, same wrapper
    pipelines/gemini_summaries.jsonl the nightly digest pipeline on Gemini, same wrapper
    batch/extraction_{input,output}.jsonl  a nightly OpenAI Batch extraction job
    gateway/usage_export.csv         a usage export of the LLM gateway piloted from Mar 16

Run from the repository root (it writes next to itself):

    python sample_logs/generate.py

Only the standard library and numpy are used. The output is deterministic: one seed, one
child generator per file (so editing one scenario leaves the other files unchanged), no
clock, no dict-order surprises. ``build()`` returns the files' bytes and a manifest of
what was written (records, injected defects with their line numbers, token sums) that
tests/test_sample_logs.py compares with llmaudit's report.

Acme's logging wrapper ("acme-llm-logger") caps every logged message text at
``LOG_TEXT_CAP`` characters, as many production loggers do: long system prompts, ticket
threads and stack traces appear as their first ``LOG_TEXT_KEEP`` characters plus a
marker. Token counts always come from the provider's usage object, so the cap changes
nothing about cost; it keeps the folder small.
"""

# The text tables below keep one template per line, which reads better than wrapping them.
# ruff: noqa: E501

from __future__ import annotations

import json
import string
import sys
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

SEED = 20260301
HERE = Path(__file__).resolve().parent
START = datetime(2026, 3, 1, tzinfo=UTC)  # a Sunday
DAYS = 30  # March 1 to March 30, 2026
LOG_TEXT_CAP = 500
LOG_TEXT_KEEP = 300
FINE_TUNED_MODEL = "ft:gpt-4o-mini-2024-07-18:acme::b7x9k2"

# Customer workspaces (the `user` of every logged request) and their share of traffic.
WORKSPACES = {
    "ws_northwind": 0.22,
    "ws_globex": 0.17,
    "ws_initech": 0.13,
    "ws_umbrella": 0.10,
    "ws_hooli": 0.09,
    "ws_vandelay": 0.07,
    "ws_stark": 0.06,
    "ws_wonka": 0.05,
    "ws_tyrell": 0.04,
    "ws_soylent": 0.03,
    "ws_cyberdyne": 0.02,
    "ws_wayne": 0.02,
}
REGION = {ws: ("eu" if i % 3 == 1 else "us") for i, ws in enumerate(WORKSPACES)}

# Hour-of-day weights (UTC) for interactive traffic: EU morning and US afternoon peaks.
BUSINESS_HOURS = np.array([1, 1, 1, 1, 1, 2, 4, 7, 10, 12, 12, 11, 10, 10, 11, 12, 12, 11, 9, 7, 5, 3, 2, 1], float)
WEEKEND_FACTOR = 0.35


# --- small helpers ----------------------------------------------------------------------------


def ntok(text: str) -> int:
    """Token count of English text, ~4 characters a token (deterministic, like a tokenizer)."""
    return max(1, round(len(text) / 3.9))


def chat_prompt_tokens(*contents_tokens: int) -> int:
    """OpenAI chat formatting: ~4 tokens per message plus 3 to prime the reply."""
    return sum(t + 4 for t in contents_tokens) + 3


def logged(text: str, full_chars: int | None = None) -> str:
    """What acme-llm-logger stores for a message text of ``full_chars`` characters."""
    size = len(text) if full_chars is None else full_chars
    if size <= LOG_TEXT_CAP:
        return text
    return text[:LOG_TEXT_KEEP] + f" ...[acme-llm-logger: truncated, {size} chars]"


def iso(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


def dumps(record: dict[str, Any]) -> str:
    return json.dumps(record, separators=(",", ":"))


def drop_none(value: Any) -> Any:
    """What ``model_dump(exclude_none=True)`` leaves of an SDK object (acme-llm-logger's dump)."""
    if isinstance(value, dict):
        return {k: drop_none(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [drop_none(v) for v in value]
    return value


def rand_id(rng: np.random.Generator, n: int, alphabet: str = string.ascii_letters + string.digits) -> str:
    return "".join(alphabet[i] for i in rng.integers(0, len(alphabet), n))


def hexid(rng: np.random.Generator, n: int) -> str:
    return rand_id(rng, n, "0123456789abcdef")


def between(rng: np.random.Generator, lo_hi: tuple[int, int]) -> int:
    lo, hi = lo_hi
    return int(rng.integers(lo, hi + 1))


def pick(rng: np.random.Generator, items: list[Any] | tuple[Any, ...]) -> Any:
    return items[int(rng.integers(0, len(items)))]


def workspace(rng: np.random.Generator) -> str:
    names = list(WORKSPACES)
    return names[int(rng.choice(len(names), p=np.array(list(WORKSPACES.values())) / sum(WORKSPACES.values())))]


def day_weights(first_day: int = 0) -> np.ndarray:
    """Weekdays 1, weekends WEEKEND_FACTOR, +12% growth over the month; days before first_day 0."""
    days = np.arange(DAYS)
    weekday = np.array([(START + timedelta(days=int(d))).weekday() for d in days])
    w = np.where(weekday >= 5, WEEKEND_FACTOR, 1.0) * (1 + 0.12 * days / DAYS)
    w[:first_day] = 0
    return w / w.sum()


def business_times(rng: np.random.Generator, n: int, first_day: int = 0) -> list[datetime]:
    """n sorted request times with the weekday/weekend and daily rhythm of interactive traffic."""
    day = rng.choice(DAYS, size=n, p=day_weights(first_day))
    hour = rng.choice(24, size=n, p=BUSINESS_HOURS / BUSINESS_HOURS.sum())
    ms = rng.integers(0, 3_600_000, size=n)
    out = [
        START + timedelta(days=int(d), hours=int(h), milliseconds=int(m)) for d, h, m in zip(day, hour, ms, strict=True)
    ]
    return sorted(out)


def is_peak(t: datetime) -> bool:
    return t.weekday() < 5 and (8 <= t.hour <= 11 or 14 <= t.hour <= 17)


# --- text: tickets, drafts, threads ---------------------------------------------------------

PRODUCTS = ["Aero 2 headphones", "Trail 40L backpack", "SmartMug", "Nimbus desk lamp", "Orbit standing desk",
            "Pulse fitness band", "Glide e-scooter", "Pro plan subscription", "Team plan", "Kettle One"]  # fmt: skip
NAMES = ["Maria", "Tom", "Aisha", "Lukas", "Chen", "Priya", "Jonas", "Sofia", "Daniel", "Emma", "Mateo", "Yuki"]
AMOUNTS = ["$19.00", "$49.00", "$79.99", "$129.00", "$249.00", "EUR 39.90", "EUR 89.00", "$12.50"]
CITIES = ["Lyon", "Denver", "Leeds", "Austin", "Porto", "Graz", "Toronto", "Malmo"]

# (category, priority, subject, body); {o} order, {p} product, {a} amount, {d} day, {n} name, {c} city
TICKETS = [
    ("billing", "high", "Charged twice", "Hi, I was charged {a} twice for order {o} on March {d}. Please refund the duplicate charge, my bank shows both."),
    ("billing", "normal", "Invoice needs VAT number", "Can you reissue the invoice for order {o} with our VAT number? Our accounting needs it before month end."),
    ("billing", "normal", "Card declined", "My card keeps getting declined when I try to renew the {p} (order {o}). The card works everywhere else. {n}"),
    ("refund", "normal", "Refund status", "I returned the {p} on March {d} and still have no refund. Order {o}. How long does it take?"),
    ("refund", "high", "Refund not received", "It has been three weeks since you confirmed my refund of {a} for order {o}. Nothing arrived. This is getting ridiculous."),
    ("refund", "normal", "Return a gift", "I got the {p} as a gift on March {d} and want to return it. I don't have the order number, the buyer was {n} from {c}."),
    ("shipping", "normal", "Where is my order", "Order {o} was supposed to arrive on March {d}. Tracking has not moved for four days. Can you check?"),
    ("shipping", "high", "Wrong item delivered", "I ordered the {p} but received something else entirely. Order {o}. I need the right item before Friday."),
    ("shipping", "normal", "Change delivery address", "Can I still change the delivery address for order {o}? I moved to {c} last week."),
    ("shipping", "low", "International shipping", "Do you ship the {p} to {c}? What would delivery cost and how long does it take? I'd need it by March {d}. {n}"),
    ("account_access", "high", "Locked out", "I'm locked out of my account after too many login attempts. I need access today to download the invoice for order {o}. {n}"),
    ("account_access", "normal", "2FA phone lost", "I lost the phone with my authenticator app. How do I get back into my account? My username is {n}{d}, last order {o}."),
    ("account_access", "normal", "Change account email", "Please change the email on my account to my new work address, the old one was deactivated on March {d}. Account holder: {n}, order {o}."),
    ("bug_report", "high", "Checkout error", "Checkout fails with 'Something went wrong (code 502)' every time I try to pay {a} for the {p}. Tried two browsers. {n}"),
    ("bug_report", "normal", "App crashes", "Your app crashes as soon as I open the order history (order {o} is the latest). iPhone 15, latest version. Started after the update on March {d}."),
    ("bug_report", "normal", "Product defect", "The {p} stopped working after two weeks. It doesn't turn on anymore, even after charging overnight. Order {o}."),
    ("bug_report", "low", "Typo on site", "Small thing: the product page of the {p} says 'waterprof' since March {d}. Thought you'd want to know. {n} from {c}"),
    ("how_to", "low", "Pairing", "How do I pair the {p} (order {o}) with a second device? The manual only explains the first one."),
    ("how_to", "low", "Export data", "How can I export my order history since March {d} as a spreadsheet? I need it for my expense report. Thanks, {n}"),
    ("how_to", "normal", "Warranty", "What does the warranty cover for the {p}? I bought it in {c} in January, order {o}."),
    ("cancellation", "normal", "Cancel subscription", "Please cancel my {p} at the end of the current period (renews March {d}). I no longer need it. Thanks, {n}."),
    ("cancellation", "high", "Cancel order", "Please cancel order {o} right away, I ordered the wrong size. It has not shipped yet as far as I can see."),
    ("feedback", "low", "Great support", "Just wanted to say thanks to {n} from your team, who sorted out my {p} issue (order {o}) in five minutes."),
    ("feedback", "low", "Feature idea", "It would be great if the {p} came in more colours. Any plans for that? I bought mine in {c} on March {d}."),
    ("complaint", "high", "Terrible experience", "Third time I'm writing about order {o}. Nobody answers, the {p} is broken and I want my {a} back now."),
    ("spam", "low", "Partnership opportunity", "Dear team, we offer SEO services that will put your store on page one of Google in {d} days. Reply for a quote. {n}, growth partner, {c} office"),
]  # fmt: skip

# Quick-pick texts of the help-center contact form: submitted verbatim, so the very same
# prompt is classified again and again (an exact-match cache would answer them for free).
CANNED = [
    ("account_access", "normal", "Password reset", "I requested a password reset but the email never arrived. Please help."),
    ("shipping", "normal", "Order status", "Where is my order? The tracking number does not work."),
    ("cancellation", "normal", "Cancel my subscription", "Please cancel my subscription."),
    ("refund", "normal", "Refund request", "I would like a refund for my last order."),
    ("how_to", "low", "Change plan", "How do I upgrade or downgrade my plan?"),
    ("billing", "normal", "Invoice copy", "Please send me a copy of my latest invoice."),
    ("account_access", "normal", "Delete my account", "Please delete my account and all my personal data."),
    ("shipping", "normal", "Delivery time", "How long does delivery take to my country?"),
]  # fmt: skip

TRIAGE_SYSTEM = (
    "You are the ticket triage engine of Acme Support. Read the customer's message and return ONLY a JSON "
    'object {"category": ..., "priority": ..., "language": ..., "confidence": ...} with no other text.\n\n'
    "Categories (pick exactly one):\n"
    "- billing: invoices, charges, payment methods, VAT, receipts. Not refunds of returned goods.\n"
    "- refund: money back for returned, defective or cancelled items, refund status.\n"
    "- shipping: delivery status, tracking, address changes, wrong or damaged deliveries.\n"
    "- account_access: login, password reset, two-factor authentication, account email, deletion.\n"
    "- bug_report: errors, crashes and defects in the store, the app or a product.\n"
    "- how_to: questions about using a product or the account.\n"
    "- cancellation: cancel an order or a subscription.\n"
    "- complaint, feedback, spam: see the examples below.\n\n"
    "Priority: high when money was taken wrongly, the customer is locked out, an order must be stopped, "
    "or the customer writes for the third time; low for feedback, spam and general questions; normal otherwise.\n\n"
    "Examples:\n"
    "Message: I was billed twice for my March invoice.\n"
)  # the full prompt (taxonomy, 60 worked examples, edge cases) is 1890 tokens
EXTRACT_SYSTEM = (
    "You extract structured fields from customer support tickets for Acme Support's ticket sidebar. "
    "Return ONLY a JSON object matching this schema; use null for anything the ticket does not state, "
    "never guess:\n"
    '{"customer_name": string|null, "order_id": string|null, "product": string|null, '
    '"amount": string|null, "issue_type": one of [billing, refund, shipping, account_access, bug_report, '
    'how_to, cancellation, complaint, feedback, spam], "requested_action": string|null, '
    '"sentiment": one of [positive, neutral, negative], "urgency": one of [low, normal, high]}\n\n'
    "Rules:\n1. order_id keeps the customer's spelling, including the leading '#'.\n"
    "2. product is the product name as sold in the workspace catalogue (see below), not the customer's nickname.\n"
    "3. requested_action is a short imperative phrase ('refund duplicate charge').\n"
)  # with the product catalogue and 12 examples the prompt is 1650 tokens
BATCH_SYSTEM = (
    "Extract fields from this closed support ticket for the analytics warehouse. Return ONLY JSON: "
    '{"issue_type": billing|refund|shipping|account_access|bug_report|how_to|cancellation|complaint|'
    'feedback|spam, "product": string|null, "order_id": string|null, "resolution": refunded|replaced|'
    'answered|escalated|no_action, "root_cause": string|null, "contact_count": integer}. '
    "Use null when the ticket does not say."
)
REWRITE_SYSTEM = (
    "Rewrite the support agent's draft reply so it is friendly, concise and on-brand. Keep every fact, "
    "link and number. Do not promise refunds or dates the draft does not promise. Reply with the text only."
)
SUMMARY_SYSTEM = (
    "Summarize this support ticket thread in at most three sentences for the agent who picks it up next: "
    "the customer's problem, what has been tried, and what is still open."
)
ESCALATION_SYSTEM = (
    "You are a senior support analyst at Acme Support. The ticket below was escalated because the "
    "first-line answer was disputed. Work through the evidence step by step, state every assumption, "
    "check each number against the records given, and end with a verdict the agent can send, in plain "
    "language, with the exact amounts or dates. If the records are insufficient, say which record is missing.\n"
    "Policies that apply: refund policy v4 (30 days, prorated for annual plans), SLA policy 2025-09 "
    "(first response within 4 business hours in the customer's time zone; holidays per country "
    "calendar), data retention policy (ticket data 24 months, invoices 10 years)...\n"
)  # policies in full: 612 tokens
DEBUG_SYSTEM = (
    "You are a support engineer for the Acme Support REST API and webhooks (API reference v3 is "
    "attached below). Find the root cause of the customer's integration error from their code, "
    "logs and stack trace. Answer with: the cause, the fix as a code diff, and how to verify it.\n"
)  # with the attached reference excerpts: 388 tokens
TONE_SYSTEM = "Rate the tone of the draft reply: friendly, neutral, curt or rude. JSON only."

ESCALATIONS = [
    ("Ticket #{t}: {w} disputes the March invoice. Billing history:\n2025-11-02 plan Growth monthly $79.00, 12 seats\n"
     "2025-12-14 seats 12 -> 19, prorated +$31.42\n2026-01-03 switch to annual Growth $790.00 (credit for unused "
     "monthly period: -$52.67)\n2026-02-11 seats 19 -> {s}, prorated +${x}.{y}\n2026-03-01 invoice INV-{t}: $1,{x}{y}.00\n"
     "Customer says they were charged for the monthly and the annual plan in the same period and wants the "
     "difference back. Reconstruct every charge since November, decide whether they were double-charged when they "
     "moved to annual billing, and compute the exact refund owed under refund policy v4. Show each step."),
    ("Ticket #{t}: {w} claims we breached their SLA on {s} tickets last week. First-response log (UTC):\n"
     "T-1 created Mon 16:55, first reply Tue 08:10\nT-2 created Tue 07:40, first reply Tue 12:02\n"
     "T-3 created Wed 21:15, first reply Thu 10:30\nT-4 created Fri 15:20, first reply Mon 08:45\n(and {x} more rows)\n"
     "Their business hours are Mon-Fri 09:00-17:00 Europe/Berlin; March 2026 holidays per the German calendar. "
     "Determine for each ticket whether the 4-business-hour first-response SLA was breached, count the breaches, "
     "and compute the service credit (5% of the monthly fee per breach, capped at 30%). Show your reasoning."),
    ("Ticket #{t}: since Tuesday {w} sees tickets re-opening in a loop (about {x}0 a day). Their automation rules:\n"
     "R1 when status=solved and tag=vip -> add tag follow_up\nR2 when tag follow_up added -> set status open, "
     "assign to Tier 2\nR3 when assigned to Tier 2 and priority<high -> set status solved\nR4 when status changes "
     "and requester is vip -> notify account manager\n(rules R5-R{s} follow)\nFind which combination of rules "
     "creates the loop, prove it with the sequence of state changes, and propose the smallest change that breaks it "
     "without losing the follow-up for VIP customers."),
    ("Ticket #{t}: {w} received a GDPR erasure request from an end customer who also has an open chargeback "
     "and two tickets under legal hold. Records involved: {s} tickets, {x} attachments, 3 invoices, call recordings "
     "from January. Decide, record by record, what must be deleted now, what must be kept and for how long "
     "(data retention policy, invoices 10 years, legal hold), and draft the reply to the end customer."),
]  # fmt: skip

STACK_TRACES = [
    ("Our webhook consumer started failing after your API update on March {d}. Handler:\n\n"
     "def handle_event(payload):\n    ticket = payload['ticket']\n    email = ticket['requester']['email']\n"
     "    sync_contact(email, ticket['id'])\n\nLog:\nTraceback (most recent call last):\n"
     "  File \"/srv/app/webhooks/acme.py\", line {l}, in handle_event\n    email = ticket['requester']['email']\n"
     "KeyError: 'requester'\n\nPayload sample (ticket.created, api_version 2026-03-01):\n"
     "{{\"event\": \"ticket.created\", \"ticket\": {{\"id\": {t}, \"requester_id\": 88{l}, \"subject\": ..."),
    ("We sync tickets nightly with your REST API and since this week the job dies with:\n\n"
     "TypeError: Cannot read properties of undefined (reading 'id')\n    at syncTickets (/app/src/sync.js:{l}:31)\n"
     "    at async Promise.all (index 3)\n    at async runNightly (/app/src/jobs/nightly.js:58:5)\n\n"
     "sync.js:\nconst page = await client.get('/v3/tickets', {{ cursor }});\nfor (const t of page.data.tickets) {{\n"
     "  await upsert(t.assignee.id, t);\n}}\ncursor = page.meta.next_cursor;\n\nIt fails on the page after ticket {t}. "
     "Full HAR of the failing request attached..."),
    ("Signature verification of your webhooks fails for about 1 in {l} events, so our endpoint returns 401:\n\n"
     "String expected = HmacUtils.hmacSha256Hex(secret, request.getBody());\n"
     "if (!expected.equals(request.getHeader(\"X-Acme-Signature\"))) {{ return unauthorized(); }}\n\n"
     "java.lang.SecurityException: signature mismatch for delivery dlv_{t}\n"
     "    at com.example.hooks.AcmeVerifier.verify(AcmeVerifier.java:{l})\n"
     "    at com.example.hooks.HookController.receive(HookController.java:41)\n\n"
     "Failing bodies all contain non-ASCII names (e.g. 'Muller' with an umlaut). Retries fail too..."),
    ("Bulk import through POST /v3/tickets/import returns 207 with {l} errors 'invalid_field: custom_fields[3].value' "
     "for dropdown fields although the values exist. Request excerpt:\n\n{{\"tickets\": [{{\"external_id\": \"zd-{t}\", "
     "\"custom_fields\": [{{\"id\": 360011, \"value\": \"Premium Support\"}}]}}]}}\n\nField definition GET /v3/ticket_fields/360011:\n"
     "{{\"type\": \"dropdown\", \"options\": [{{\"name\": \"Premium Support\", \"value\": \"premium_support\"}}]}}\n\n"
     "Python client 3.2.1, retries with backoff, same result..."),
]  # fmt: skip

DRAFTS = [
    "hi {n}, we checked order {o}. refund of {a} was sent on march {d}, banks take 5-10 days. if nothing by next week send us the bank statement and we escalate",
    "Hello, the {p} has 2 years warranty. send a photo of the defect + order number {o} and we replace it. thanks",
    "{n} - tracking for {o} is stuck because the carrier lost the scan. we reshipped today, new tracking comes by email tomorrow. sorry",
    "we cant change the address anymore, order {o} already left the warehouse. you can redirect it with the carrier link in the shipping email",
    "Your account is unlocked now. Please reset your password with the link we sent and turn on 2FA again after login.",
    "hi, the duplicate charge of {a} was a pre-authorization, it disappears by itself in 3-5 days. nothing was actually charged twice",
    "Thanks for the feedback {n}! passed it to the product team, no plans for new colours of the {p} this year though",
    "the crash in order history is a known bug in 4.12, fix ships with 4.13 on friday. workaround: open history from the website",
]  # fmt: skip
REPLIES = [
    "Hi {n},\n\nThanks for your patience. We've checked order {o}: your refund of {a} was issued on March {d}. Banks usually take 5-10 business days to show it. If it hasn't arrived by next week, just reply with your bank statement and we'll escalate it right away.\n\nBest regards,\nThe Support Team",
    "Hello,\n\nGood news: the {p} comes with a 2-year warranty. Please send us a photo of the defect together with your order number {o}, and we'll send you a replacement.\n\nThank you!",
    "Hi {n},\n\nI'm sorry about the wait. The tracking for {o} stopped because the carrier lost a scan, so we've shipped a new parcel today. You'll get the new tracking number by email tomorrow.\n\nApologies for the trouble!",
    "Hi there,\n\nUnfortunately we can no longer change the address: order {o} has already left our warehouse. You can still redirect the parcel with the carrier link in your shipping confirmation email.\n\nKind regards",
    "Hello,\n\nYour account is unlocked. Please reset your password using the link we just sent you, and remember to turn two-factor authentication back on after you log in.\n\nBest,\nThe Support Team",
    "Hi,\n\nThe second charge of {a} you see is a pre-authorization, not a real payment. It will disappear on its own within 3-5 days, and you have only been charged once.\n\nThanks for checking with us!",
    "Thanks so much for the feedback, {n}! I've passed it on to our product team. There are no plans for new colours of the {p} this year, but we'll let you know if that changes.",
    "Hi,\n\nThe crash in the order history is a known issue in version 4.12, and the fix ships with 4.13 this Friday. Until then you can open your order history on our website.\n\nSorry for the inconvenience!",
]  # fmt: skip
THREAD_LINES = [
    "Customer: {body}",
    "Agent ({n}): Thanks for reaching out. Could you send the order number and a screenshot?",
    "Customer: Order {o}. Screenshot attached. This is the second time this happens.",
    "Agent ({n}): I've asked the warehouse team to check the shipment and will update you within 24 hours.",
    "Internal note: carrier confirms the parcel was scanned in {c} on March {d}, then nothing.",
    "Customer: Any news? I still have nothing and I need it this week.",
    "Agent ({n}): We've opened a claim with the carrier and offered a replacement or a refund of {a}.",
    "Customer: A replacement please, but only if it arrives before Friday.",
]  # fmt: skip


def ticket_slots(rng: np.random.Generator) -> dict[str, str]:
    return {
        "o": f"#A-{int(rng.integers(10000, 99999))}",
        "p": pick(rng, PRODUCTS),
        "a": pick(rng, AMOUNTS),
        "d": str(int(rng.integers(1, 29))),
        "n": pick(rng, NAMES),
        "c": pick(rng, CITIES),
    }


def random_ticket(rng: np.random.Generator) -> tuple[str, str, str, dict[str, str]]:
    """(category, priority, "Subject: ..." prompt, slots) for a fresh, unique ticket."""
    category, priority, subject, body = pick(rng, TICKETS)
    slots = ticket_slots(rng)
    return category, priority, f"Subject: {subject}\n\n{body.format(**slots)}", slots


# --- the scenario table -------------------------------------------------------------------
# One row per kind of request the product sends; app_calls() turns each row into requests.
# Token ranges are drawn uniformly; None means "counted from the text" (short texts that
# the log keeps whole). `system_tokens` is the shared system prompt, which OpenAI caches
# (in 128-token steps) when it is at least 1024 tokens long.


@dataclass(frozen=True)
class Scenario:
    feature: str
    task: str  # what the request really is: the routing question is whether it needs `model`
    model: str  # what the product asks for
    served_as: str  # the model name the provider returns
    count: int  # requests over the month, before retries
    prompts: tuple[Any, ...]  # example prompts (templates) the requests are drawn from
    system_tokens: int
    input_tokens: tuple[int, int] | None  # user content (the log keeps its first characters)
    output_tokens: tuple[int, int] | None
    latency_ms: tuple[int, int]
    cache_hit: tuple[float, float] = (0.0, 0.0)  # P(shared prefix cached) at peak / off-peak hours
    reasoning_share: tuple[float, float] = (0.0, 0.0)  # hidden reasoning as a share of output


APP_SCENARIOS = {
    "classify": Scenario("ticket-classify", "classification (easy)", "gpt-4o", "gpt-4o-2024-08-06", 600,
                         tuple(TICKETS), 1890, None, None, (380, 950), cache_hit=(0.55, 0.20)),
    "extract": Scenario("field-extract", "JSON field extraction (easy)", "gpt-4o", "gpt-4o-2024-08-06", 250,
                        tuple(TICKETS), 1650, None, None, (1200, 2900), cache_hit=(0.45, 0.15)),
    "rewrite": Scenario("reply-rewrite", "rewrite an agent's draft (easy)", "gpt-4o", "gpt-4o-2024-08-06", 230,
                        tuple(DRAFTS), 0, None, None, (1800, 5200)),
    "summary": Scenario("ticket-summary", "summarize a ticket thread (easy)", "gpt-4o", "gpt-4o-2024-08-06", 170,
                        tuple(THREAD_LINES), 0, (600, 3200), (45, 120), (1100, 3000)),
    "escalation": Scenario("escalation-analysis", "multi-step reasoning (hard)", "o3", "o3-2025-04-16", 48,
                           tuple(ESCALATIONS), 612, (1100, 3900), (1500, 5500), (14000, 68000),
                           reasoning_share=(0.72, 0.90)),
    "debug": Scenario("api-debug", "code debugging with stack traces (hard)", "gpt-4.1", "gpt-4.1-2025-04-14", 52,
                      tuple(STACK_TRACES), 388, (1800, 8800), (450, 1500), (7000, 26000), cache_hit=(0.15, 0.15)),
    "tone": Scenario("tone-check", "tone rating (fine-tuned; experiment from Mar 20)", FINE_TUNED_MODEL,
                     FINE_TUNED_MODEL, 26, tuple(DRAFTS), 0, None, (6, 9), (250, 600)),
}  # fmt: skip


# --- a log file with line bookkeeping ------------------------------------------------------


@dataclass
class LogFile:
    """Lines of one output file and what each one is (for the manifest)."""

    path: str
    fmt: str
    lines: list[str] = field(default_factory=list)
    records: int = 0
    defects: list[dict[str, Any]] = field(default_factory=list)
    models: Counter[str] = field(default_factory=Counter)
    failed_lines: list[int] = field(default_factory=list)
    estimated: int = 0
    tokens: Counter[str] = field(default_factory=Counter)
    reported_cost_usd: float = 0.0  # what the source itself says it cost (the gateway's cost_usd)
    truncated_tail: bool = False
    header: bool = False

    def add(self, line: str, model: str, *, failed: bool = False, estimated: bool = False, **tokens: int) -> None:
        self.lines.append(line)
        self.records += 1
        self.models[model] += 1
        if failed:
            self.failed_lines.append(len(self.lines))
        self.estimated += estimated
        self.tokens.update(tokens)

    def defect(self, line: str, reason: str, note: str) -> None:
        self.lines.append(line)
        self.defects.append({"line": len(self.lines), "reason": reason, "note": note})

    def content(self) -> bytes:
        text = "\n".join(self.lines)
        return (text if self.truncated_tail else text + "\n").encode("ascii")

    def manifest(self) -> dict[str, Any]:
        return {
            "format": self.fmt,
            "records": self.records,
            "lines": len(self.lines) - (1 if self.header else 0),
            "defects": self.defects,
            "models": dict(sorted(self.models.items())),
            "failed": len(self.failed_lines),
            "failed_lines": self.failed_lines,
            "estimated": self.estimated,
            "tokens": dict(sorted(self.tokens.items())),
            "reported_cost_usd": round(self.reported_cost_usd, 8),
        }


# --- app/requests.jsonl: the product's OpenAI calls ----------------------------------------


def openai_usage(prompt: int, completion: int, cached: int = 0, reasoning: int = 0) -> dict[str, Any]:
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
        "prompt_tokens_details": {"cached_tokens": cached, "audio_tokens": 0},
        "completion_tokens_details": {
            "reasoning_tokens": reasoning,
            "audio_tokens": 0,
            "accepted_prediction_tokens": 0,
            "rejected_prediction_tokens": 0,
        },
    }


def chat_completion(rng: np.random.Generator, t: datetime, model: str, content: str | None, finish: str,
                    usage: dict[str, Any] | None) -> dict[str, Any]:  # fmt: skip
    body: dict[str, Any] = {
        "id": "chatcmpl-" + rand_id(rng, 29),
        "object": "chat.completion",
        "created": int(t.timestamp()),
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content, "refusal": None, "annotations": []},
                "logprobs": None,
                "finish_reason": finish,
            }
        ],
    }
    if usage is not None:
        body["usage"] = usage
        body["service_tier"] = "default"
        body["system_fingerprint"] = fingerprint(model, t)
    return body


def fingerprint(model: str, t: datetime) -> str:
    """OpenAI's backend configuration id: stable per model, changed by a deploy on Mar 17."""
    key = f"{model}|{t.day >= 17}".encode()
    return "fp_" + format(sum((i + 1) * b for i, b in enumerate(key)) * 2654435761 % 16**10, "010x")


def cached_prefix(system_tokens: int) -> int:
    """OpenAI caches prompts of >= 1024 tokens in 128-token steps of the shared prefix."""
    shared = system_tokens + 4  # the system message with its formatting tokens
    return (shared // 128) * 128 if shared >= 1024 else 0


@dataclass
class AppCall:
    """One request the product makes (before retries)."""

    t: datetime
    key: str  # scenario key
    user: str
    system: str  # logged system text
    system_tokens: int
    user_text: str  # logged user text
    user_tokens: int
    answer: str | None
    output_tokens: int
    reasoning_tokens: int = 0
    finish: str = "stop"
    cached: int = 0
    stream_without_usage: bool = False
    retry_of: str | None = None  # "429" or "500": a failed attempt precedes this one
    request_extra: dict[str, Any] = field(default_factory=dict)


def app_calls(rng: np.random.Generator) -> list[AppCall]:
    """Every product request of the month, in time order, as the scenario table says."""
    S = APP_SCENARIOS

    def cache_hit(sc: Scenario, t: datetime) -> bool:
        return bool(rng.random() < sc.cache_hit[0 if is_peak(t) else 1])

    calls: list[AppCall] = []

    # Ticket classification: fresh tickets, quick-pick (canned) texts, and re-classification
    # of a recent ticket each time it is updated (the hook fires on every update event).
    sc = S["classify"]
    system = logged(TRIAGE_SYSTEM, sc.system_tokens * 4)
    # ws_globex bulk-imports 110 old tickets on Wed Mar 11, 14:05-14:30 UTC: a burst of
    # classifications that runs into the tokens-per-minute rate limit (the 429s below).
    burst_start = START + timedelta(days=10, hours=14, minutes=5)
    burst = [burst_start + timedelta(milliseconds=int(ms)) for ms in rng.integers(0, 25 * 60_000, 110)]
    seen: list[tuple[str, str, str]] = []
    for t in sorted(business_times(rng, sc.count) + burst):
        in_burst = burst_start <= t <= burst_start + timedelta(minutes=25)
        roll = rng.random()
        if not in_burst and roll < 0.13:
            category, priority, subject, body = pick(rng, CANNED)
            prompt = f"Subject: {subject}\n\n{body}"
        elif not in_burst and roll < 0.24 and seen:
            category, priority, prompt = seen[int(rng.integers(max(0, len(seen) - 40), len(seen)))]
        else:
            category, priority, prompt, _ = random_ticket(rng)
            seen.append((category, priority, prompt))
        answer = json.dumps({"category": category, "priority": priority, "language": "en",
                             "confidence": round(0.80 + 0.19 * float(rng.random()), 2)})  # fmt: skip
        calls.append(AppCall(t, "classify", "ws_globex" if in_burst else workspace(rng), system, sc.system_tokens,
                             prompt, ntok(prompt), answer, ntok(answer),
                             cached=cached_prefix(sc.system_tokens) if in_burst or cache_hit(sc, t) else 0,
                             request_extra={"response_format": {"type": "json_object"}, "temperature": 0}))  # fmt: skip

    sc = S["extract"]
    system = logged(EXTRACT_SYSTEM, sc.system_tokens * 4)
    for t in business_times(rng, sc.count):
        category, priority, prompt, slots = random_ticket(rng)
        text = f"From: {slots['n'].lower()}.{int(rng.integers(10, 99))}@example.com\n{prompt}"
        answer = json.dumps({
            "customer_name": slots["n"] if slots["n"] in prompt else None,
            "order_id": slots["o"] if slots["o"] in prompt else None,
            "product": slots["p"] if slots["p"] in prompt else None,
            "amount": slots["a"] if slots["a"] in prompt else None,
            "issue_type": category,
            "requested_action": {"refund": "refund the order", "billing": "correct the charge",
                                 "shipping": "locate the parcel", "cancellation": "cancel"}.get(category),
            "sentiment": "negative" if priority == "high" else "neutral",
            "urgency": priority,
        })  # fmt: skip
        calls.append(AppCall(t, "extract", workspace(rng), system, sc.system_tokens, text, ntok(text), answer,
                             ntok(answer), cached=cached_prefix(sc.system_tokens) if cache_hit(sc, t) else 0,
                             request_extra={"response_format": {"type": "json_object"}, "temperature": 0}))  # fmt: skip

    # Reply rewrites. Ten are streamed without stream_options.include_usage, so the logged
    # response has no usage: llmaudit estimates their tokens from the text. Three drafts
    # quote an abusive customer message and hit the content filter (no answer, prompt billed).
    sc = S["rewrite"]
    streamed = set(rng.choice(sc.count, 10, replace=False).tolist())
    filtered = set(rng.choice(sorted(set(range(sc.count)) - streamed), 3, replace=False).tolist())
    for i, t in enumerate(business_times(rng, sc.count)):
        k = int(rng.integers(0, len(DRAFTS)))
        slots = ticket_slots(rng)
        ticket = f"Ticket #{int(rng.integers(100000, 999999))}, customer {slots['n']}. Agent's draft:\n"
        draft, reply = ticket + DRAFTS[k].format(**slots), REPLIES[k].format(**slots)
        ws = workspace(rng)
        if i in filtered:
            draft += " -- customer wrote: '[threat against our staff, quoted verbatim; redacted in this sample]'"
            calls.append(AppCall(t, "rewrite", ws, REWRITE_SYSTEM, ntok(REWRITE_SYSTEM), draft, ntok(draft), None, 0,
                                 finish="content_filter", request_extra={"temperature": 0.7}))  # fmt: skip
            continue
        calls.append(AppCall(t, "rewrite", ws, REWRITE_SYSTEM, ntok(REWRITE_SYSTEM), draft, ntok(draft), reply,
                             ntok(reply), stream_without_usage=i in streamed,
                             request_extra={"stream": True} if i in streamed else {"temperature": 0.7}))  # fmt: skip

    sc = S["summary"]
    for t in business_times(rng, sc.count):
        _, _, prompt, slots = random_ticket(rng)
        body = prompt.split("\n\n", 1)[1]
        shown = int(rng.integers(3, len(THREAD_LINES) + 1))
        thread = (
            f"Ticket #{int(rng.integers(100000, 999999))}, {shown + int(rng.integers(0, 30))} messages\n"
            + "\n".join(line.format(body=body, **slots) for line in THREAD_LINES[:shown])
        )
        tokens = max(ntok(thread), between(rng, sc.input_tokens))
        answer = (f"The customer reports: {body[:140]} The agent asked for details and escalated to the warehouse; "
                  f"a replacement or refund of {slots['a']} was offered. Open: confirm delivery before Friday.")  # fmt: skip
        calls.append(AppCall(t, "summary", workspace(rng), SUMMARY_SYSTEM, ntok(SUMMARY_SYSTEM),
                             logged(thread, tokens * 4), tokens, answer, between(rng, sc.output_tokens)))  # fmt: skip

    # The hard tail: multi-step reasoning on o3 (three runs hit max_completion_tokens while
    # still reasoning: an empty answer with every token billed) and API debugging on gpt-4.1.
    sc = S["escalation"]
    system = logged(ESCALATION_SYSTEM, sc.system_tokens * 4)
    runaway = set(rng.choice(sc.count, 3, replace=False).tolist())
    limit = 12000
    for i, t in enumerate(business_times(rng, sc.count)):
        ws = workspace(rng)
        text = pick(rng, ESCALATIONS).format(t=int(rng.integers(100000, 999999)), w=ws, s=int(rng.integers(20, 41)),
                                             x=int(rng.integers(2, 9)), y=int(rng.integers(10, 99)))  # fmt: skip
        tokens = between(rng, sc.input_tokens)
        extra = {"reasoning_effort": "high", "max_completion_tokens": limit}
        if i in runaway:
            calls.append(AppCall(t, "escalation", ws, system, sc.system_tokens, logged(text, tokens * 4), tokens, "",
                                 limit, reasoning_tokens=limit, finish="length", request_extra=extra))  # fmt: skip
            continue
        out = between(rng, sc.output_tokens)
        reasoning = int(out * rng.uniform(*sc.reasoning_share)) // 64 * 64
        answer = ("Verdict: the customer was charged for overlapping periods. Step 1: the monthly plan was billed "
                  "through Jan 2 while the annual plan started Jan 3 ... (full analysis below)\n")  # fmt: skip
        calls.append(AppCall(t, "escalation", ws, system, sc.system_tokens, logged(text, tokens * 4), tokens,
                             logged(answer, (out - reasoning) * 4), out, reasoning_tokens=reasoning,
                             request_extra=extra))  # fmt: skip

    sc = S["debug"]
    for t in business_times(rng, sc.count):
        t_no = int(rng.integers(100000, 999999))
        text = f"Ticket #{t_no} (API integration). " + pick(rng, STACK_TRACES).format(
            d=int(rng.integers(1, 29)), l=int(rng.integers(40, 400)), t=t_no
        )
        tokens, out = between(rng, sc.input_tokens), between(rng, sc.output_tokens)
        # a customer re-sending the same logs: the first half of the prompt is still cached
        cached = (sc.system_tokens + tokens) // 2 // 128 * 128 if cache_hit(sc, t) else 0
        answer = ("Cause: since API version 2026-03-01 the payload carries `requester_id` instead of the embedded "
                  "`requester` object (see the changelog). Fix:\n```diff\n- email = ticket['requester']['email']\n"
                  "+ email = client.users.get(ticket['requester_id']).email\n```\nVerify: replay the failing delivery...")  # fmt: skip
        calls.append(AppCall(t, "debug", workspace(rng), DEBUG_SYSTEM, sc.system_tokens, logged(text, tokens * 4),
                             tokens, logged(answer, out * 4), out, cached=cached, request_extra={"temperature": 0.2}))  # fmt: skip

    sc = S["tone"]
    for t in business_times(rng, sc.count, first_day=19):
        slots = ticket_slots(rng)
        draft = f"Ticket #{int(rng.integers(100000, 999999))}. Draft:\n" + pick(rng, DRAFTS).format(**slots)
        answer = json.dumps({"tone": pick(rng, ["friendly", "neutral", "neutral", "curt"])})
        calls.append(AppCall(t, "tone", pick(rng, ["ws_northwind", "ws_initech"]), TONE_SYSTEM, ntok(TONE_SYSTEM),
                             draft, ntok(draft), answer, between(rng, sc.output_tokens)))  # fmt: skip

    calls.sort(key=lambda c: c.t)

    # Failed first attempts, each followed by its successful retry (the logged call):
    # 429s in the Mar 11 burst and at a few other peaks, and a handful of 500s.
    gpt4o = [i for i, c in enumerate(calls) if S[c.key].model == "gpt-4o" and c.answer]
    in_burst = [
        i
        for i in gpt4o
        if calls[i].user == "ws_globex" and burst_start <= calls[i].t <= burst_start + timedelta(minutes=25)
    ]
    for i in rng.choice(in_burst, 22, replace=False):
        calls[int(i)].retry_of = "429"
    for i in rng.choice([i for i in gpt4o if is_peak(calls[i].t) and calls[i].retry_of is None], 6, replace=False):
        calls[int(i)].retry_of = "429"
    for i in rng.choice([i for i, c in enumerate(calls) if c.retry_of is None and c.answer], 5, replace=False):
        calls[int(i)].retry_of = "500"
    return calls


def openai_error(kind: str, rng: np.random.Generator, requested: int) -> dict[str, Any]:
    if kind == "429":
        used = 800_000 - int(rng.integers(0, requested))
        message = (f"Rate limit reached for gpt-4o in organization org-acmeSupport01 on tokens per min (TPM): "
                   f"Limit 800000, Used {used}, Requested {requested}. Please try again in "
                   f"{int(rng.integers(60, 900))}ms. Visit https://platform.openai.com/account/rate-limits to learn more.")  # fmt: skip
        return {"message": message, "type": "tokens", "param": None, "code": "rate_limit_exceeded"}
    return {"message": "The server had an error while processing your request. Sorry about that!",
            "type": "server_error", "param": None, "code": None}  # fmt: skip


def app_requests(rng: np.random.Generator) -> LogFile:
    """The product's own wrapper around the OpenAI SDK: one line per HTTP attempt."""
    log = LogFile("app/requests.jsonl", "openai (wrapped)")
    calls = app_calls(rng)
    duplicate_at = len(calls) * 2 // 3  # the wrapper's flush retry logs this response twice
    for n, c in enumerate(calls):
        sc = APP_SCENARIOS[c.key]
        region = REGION[c.user]
        request = {
            "model": sc.model,
            "messages": [{"role": "system", "content": c.system}, {"role": "user", "content": c.user_text}],
            **c.request_extra,
            "user": c.user,
            "metadata": {"feature": sc.feature},
        }
        prompt = chat_prompt_tokens(c.system_tokens, c.user_tokens)
        outer = {"user": c.user, "feature": sc.feature}
        if c.retry_of is not None:
            t_fail = c.t - timedelta(milliseconds=int(rng.integers(600, 3500)))
            fail_latency = int(rng.integers(40, 220)) if c.retry_of == "429" else int(rng.integers(1500, 9000))
            record = {"timestamp": iso(t_fail), "request": request, "response": None, "status_code": int(c.retry_of),
                      "error": openai_error(c.retry_of, rng, prompt), "latency_ms": fail_latency, **outer,
                      "tags": ["prod", f"region:{region}"]}  # fmt: skip
            log.add(dumps(record), sc.model, failed=True)
        usage = None
        if not c.stream_without_usage:
            usage = openai_usage(prompt, c.output_tokens, c.cached, c.reasoning_tokens)
        response = drop_none(chat_completion(rng, c.t, sc.served_as, c.answer, c.finish, usage))
        tags = ["prod", f"region:{region}"] + (["retry"] if c.retry_of else [])
        record = {"timestamp": iso(c.t), "request": request, "response": response, "status_code": 200,
                  "latency_ms": between(rng, sc.latency_ms), **outer, "tags": tags}  # fmt: skip
        line = dumps(record)
        if c.stream_without_usage:
            log.add(line, sc.served_as, estimated=True)
        else:
            log.add(line, sc.served_as, input=prompt, output=c.output_tokens, cache_read=c.cached,
                    reasoning=c.reasoning_tokens)  # fmt: skip
        if n == duplicate_at:
            log.defect(line, "duplicate_request_id", "the same response logged twice (the logger's flush retry)")
    return log


# --- support-bot/anthropic.jsonl: the chatbot on Claude ----------------------------------

BOT_MODEL = "claude-sonnet-4-6"
BOT_SYSTEM_TOKENS = 1840
BOT_SYSTEM = (
    "You are Acme Support's virtual agent, answering end customers in the help-center chat of the store "
    "named in the workspace profile. Answer from the retrieved help-center articles only; when they do not "
    "cover the question, or the customer asks for a person, call the handoff tool. Never promise refunds, "
    "discounts or delivery dates. Keep answers under 120 words, in the customer's language.\n\n"
    "Tools: search_articles(query), get_order(order_id), handoff(reason, summary).\n\n"
    "Tone guide: warm, direct, no exclamation marks in apologies...\n"
)  # with the tool schemas and the tone and policy guide: 1840 tokens
CONVERSATIONS = [
    ("Where is my order {o}? It should have arrived on March {d}.",
     "I've looked up order {o}: it left our warehouse on March {d} and the carrier shows it in transit to {c}. "
     "Parcels on this route usually arrive within 2-3 business days. You can follow it with the tracking link in your "
     "shipping email."),
    ("Can I return the {p} from order {o}? It arrived on March {d}.",
     "Yes, you can return the {p} within 30 days of delivery. Start the return from your order page, print the label and "
     "drop the parcel at any carrier point. Your refund is issued once the item reaches our warehouse."),
    ("My {p} won't turn on anymore. I bought it on March {d}, order {o}.",
     "Sorry to hear that. Please charge the {p} for at least 30 minutes with the original cable, then hold the power "
     "button for 10 seconds to reset it. If it still doesn't turn on, it is covered by the 2-year warranty."),
    ("I was charged {a} twice for order {o}.",
     "I understand the worry. A second charge of the same amount is usually a pre-authorization that your bank releases "
     "within 3-5 days. If both charges are still there after that, I can hand you over to our billing team."),
    ("How do I change the email address on my account?",
     "Go to Account > Profile, select Change email and confirm the new address with the link we send you. Your orders "
     "and saved addresses stay on the account."),
]  # fmt: skip
FOLLOW_UPS = [
    ("It still says in transit. Can you check again?", "The carrier's last scan was in {c} this morning, so it is moving. "
     "If it hasn't arrived in two business days, reply here and we'll open a claim."),
    ("And how long does the refund take?", "Refunds go back to your original payment method within 5-10 business days "
     "after the return arrives."),
    ("I tried that, it doesn't work.", "Thanks for trying. In that case it needs a warranty replacement: I'm handing you "
     "over to a colleague who can arrange it, with a summary of what you already tried."),
    ("Can I talk to a person?", "Of course. I'm connecting you with a support agent now; they'll see this conversation, "
     "so you won't need to repeat anything."),
    ("Do you ship to {c}?", "Yes, we ship to {c}. Standard delivery takes 3-5 business days and is free above $50."),
    ("Thanks, that helped.", "Glad I could help! Is there anything else I can do for you?"),
]  # fmt: skip
RETRIEVED = ("\n\nHelp-center articles of {w} retrieved for this question (top 3):\n[1] Shipping times and tracking (updated "
             "2026-02-10): Orders ship within 1 business day. Tracking links are sent by email...\n[2] Returns and "
             "refunds: Items can be returned within 30 days...\n[3] Warranty: All electronics carry a 2-year warranty...")  # fmt: skip


def anthropic_message(rng: np.random.Generator, text: str | None, stop: str, usage: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": "msg_01" + rand_id(rng, 22, "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"),
        "type": "message",
        "role": "assistant",
        "model": BOT_MODEL,
        "content": [{"type": "text", "text": text}] if text else [],
        "stop_reason": stop,
        "stop_sequence": None,
        "usage": usage,
    }


def support_bot(rng: np.random.Generator) -> LogFile:
    """The chat widget: multi-turn conversations on Claude with prompt caching.

    The system prompt is cached with a 1-hour TTL (written by the first turn that finds it
    cold, read by every other turn); each turn also caches the conversation so far with
    the default 5-minute TTL, so the next turn reads it when the customer answers within
    five minutes and writes it again when they do not.
    """
    log = LogFile("support-bot/anthropic.jsonl", "anthropic (wrapped)")
    starts = business_times(rng, 118)
    turns: list[tuple[datetime, dict[str, Any]]] = []
    for t0 in starts:
        ws = workspace(rng)
        slots = ticket_slots(rng)
        question, answer = pick(rng, CONVERSATIONS)
        n_turns = int(rng.choice([1, 2, 3, 4, 5, 6], p=[0.18, 0.30, 0.24, 0.14, 0.09, 0.05]))
        script = [(question, answer)] + [pick(rng, FOLLOW_UPS) for _ in range(n_turns - 1)]
        conv, end_user = "conv_" + hexid(rng, 12), "enduser_" + hexid(rng, 10)
        t = t0
        for k, (q, a) in enumerate(script):
            if k:
                t = t + timedelta(
                    seconds=int(rng.choice([rng.integers(15, 280), rng.integers(300, 1500)], p=[0.85, 0.15]))
                )
            q_text = (q + RETRIEVED).format(w=ws, **slots) if k == 0 else q.format(**slots)
            turns.append((t, {"conv": conv, "end_user": end_user, "ws": ws, "k": k, "q": q_text,
                              "a": a.format(**slots)}))  # fmt: skip
    turns.sort(key=lambda x: x[0])

    system_cached_until: datetime | None = None
    history: dict[str, dict[str, Any]] = {}  # per conversation: messages so far, cached tokens, expiry
    crash_at = len(turns) - 1  # the writer is killed while writing the month's last line
    overloaded = set(
        rng.choice(crash_at, 2, replace=False).tolist()
    )  # the writer is killed while writing the month's last line
    for n, (t, turn) in enumerate(turns):
        conv = history.setdefault(turn["conv"], {"messages": [], "tokens": 0, "cached": 0, "expires": None})
        q_tokens = ntok(turn["q"]) + (680 if turn["k"] == 0 else 0)  # retrieved articles are longer than logged
        messages = conv["messages"] + [{"role": "user", "content": [
            {"type": "text", "text": logged(turn["q"], q_tokens * 4 if turn["k"] == 0 else None),
             "cache_control": {"type": "ephemeral"}}]}]  # fmt: skip
        request = {
            "model": BOT_MODEL,
            "max_tokens": 1024,
            "system": [{"type": "text", "text": logged(BOT_SYSTEM, BOT_SYSTEM_TOKENS * 4),
                        "cache_control": {"type": "ephemeral", "ttl": "1h"}}],
            "messages": messages,
            "metadata": {"user_id": turn["end_user"]},
        }  # fmt: skip
        outer = {"user": turn["ws"], "feature": "support-chat", "session_id": turn["conv"]}
        if n in overloaded:  # Anthropic's 529: nothing billed, retried 2 s later
            record = {"timestamp": iso(t), "request": request, "response": {"type": "error", "error": {
                "type": "overloaded_error", "message": "Overloaded"}, "request_id": "req_011C" + rand_id(rng, 20)},
                "status_code": 529, "latency_ms": int(rng.integers(300, 1200)), **outer}  # fmt: skip
            log.add(dumps(record), BOT_MODEL, failed=True)
            t = t + timedelta(milliseconds=int(rng.integers(1500, 2600)))
        # Cache accounting for this turn.
        system_warm = system_cached_until is not None and t <= system_cached_until
        history_warm = conv["expires"] is not None and t <= conv["expires"]
        read = (BOT_SYSTEM_TOKENS if system_warm else 0) + (conv["tokens"] if history_warm else 0)
        write_1h = 0 if system_warm else BOT_SYSTEM_TOKENS
        write_5m = q_tokens + (0 if history_warm else conv["tokens"])
        fresh = int(rng.integers(3, 12))
        out = ntok(turn["a"]) + int(rng.integers(0, 40))
        usage = {
            "input_tokens": fresh,
            "cache_creation_input_tokens": write_5m + write_1h,
            "cache_read_input_tokens": read,
            "cache_creation": {"ephemeral_5m_input_tokens": write_5m, "ephemeral_1h_input_tokens": write_1h},
            "output_tokens": out,
            "service_tier": "standard",
        }
        system_cached_until = t + timedelta(hours=1)
        conv["tokens"] += q_tokens + out
        conv["expires"] = t + timedelta(minutes=5)
        conv["messages"] = [
            *conv["messages"],
            {"role": "user", "content": logged(turn["q"], q_tokens * 4 if turn["k"] == 0 else None)},
            {"role": "assistant", "content": turn["a"]},
        ]
        response = anthropic_message(rng, turn["a"], "end_turn", usage)
        record = {"timestamp": iso(t), "request": request, "response": response, "status_code": 200,
                  "latency_ms": int(rng.integers(1800, 6500)), **outer}  # fmt: skip
        line = dumps(record)
        if n == crash_at:
            log.defect(
                line[: len(line) * 3 // 5], "malformed_json", "truncated last line: the writer was killed mid-line"
            )
            log.truncated_tail = True
            continue
        log.add(line, BOT_MODEL, input=fresh + read + write_5m + write_1h, output=out, cache_read=read,
                cache_write=write_5m + write_1h, cache_write_1h=write_1h)  # fmt: skip
    return log


# --- pipelines/gemini_summaries.jsonl: the nightly digest --------------------------------

DIGEST_PREFIX_TOKENS = 3112
DIGEST_SYSTEM = (
    "You write the morning digest for a support team lead. From yesterday's tickets below, report: volume "
    "by category versus the 7-day average, the three issues that grew fastest, tickets at risk of breaching "
    "SLA, and one suggestion for a help-center article. Plain text, at most 250 words, no tables.\n\n"
    "Style guide and two example digests follow...\n"
)  # with the style guide and examples: 3112 tokens, the same every night (implicit cache)


def gemini_response(rng: np.random.Generator, model: str, text: str, prompt: int, cached: int, out: int,
                    thoughts: int, finish: str = "STOP") -> dict[str, Any]:  # fmt: skip
    usage: dict[str, Any] = {"promptTokenCount": prompt, "candidatesTokenCount": out,
                             "totalTokenCount": prompt + out + thoughts,
                             "promptTokensDetails": [{"modality": "TEXT", "tokenCount": prompt}]}  # fmt: skip
    if cached:
        usage["cachedContentTokenCount"] = cached
        usage["cacheTokensDetails"] = [{"modality": "TEXT", "tokenCount": cached}]
    if thoughts:
        usage["thoughtsTokenCount"] = thoughts
    return {
        "candidates": [{"content": {"role": "model", "parts": [{"text": text}]}, "finishReason": finish, "index": 0}],
        "usageMetadata": usage,
        "modelVersion": model,
        "responseId": rand_id(rng, 22, string.ascii_letters + string.digits + "-_"),
    }


def gemini_pipeline(rng: np.random.Generator) -> LogFile:
    """Every night at 02:00 UTC a digest for each of the six largest workspaces on Gemini 2.5
    Flash; on Mondays at 03:00 a weekly trends report for the enterprise workspace on 2.5 Pro."""
    log = LogFile("pipelines/gemini_summaries.jsonl", "gemini (wrapped)")
    flaky_night = 17  # one 503 UNAVAILABLE, retried by the pipeline
    blank_after_night = 8  # a stray print() in the pipeline's log setup left an empty line
    digest_workspaces = list(WORKSPACES)[:6]
    for day in range(DAYS):
        night = START + timedelta(days=day, hours=2, milliseconds=int(rng.integers(0, 240_000)))
        weekday = night.weekday()
        yesterday_weekend = (weekday - 1) % 7 >= 5
        t = night
        for j, ws in enumerate(digest_workspaces):
            t = t + timedelta(milliseconds=int(rng.integers(8_000, 40_000)))
            tickets = int(rng.integers(15, 60) * (0.35 if yesterday_weekend else 1) * (1.5 if j < 2 else 1))
            ticket_tokens = tickets * int(rng.integers(160, 260))
            date = (night - timedelta(days=1)).strftime("%Y-%m-%d")
            user_text = f"Workspace {ws}, tickets of {date} ({tickets} tickets):\n" + "\n".join(
                f"#{int(rng.integers(100000, 999999))} [{c}/{p}] {s}" for c, p, s, _ in (pick(rng, TICKETS) for _ in range(12))
            )  # fmt: skip
            request = {
                "model": "gemini-2.5-flash",
                "systemInstruction": {"parts": [{"text": logged(DIGEST_SYSTEM, DIGEST_PREFIX_TOKENS * 4)}]},
                "contents": [{"role": "user", "parts": [{"text": logged(user_text, ticket_tokens * 4)}]}],
                "generationConfig": {"maxOutputTokens": 2048, "temperature": 0.3},
            }
            prompt = DIGEST_PREFIX_TOKENS + ticket_tokens + 6
            cached = DIGEST_PREFIX_TOKENS if j > 0 else 0  # implicit cache: the shared prefix, after the first call
            outer = {"user": ws, "feature": "nightly-digest", "tags": ["pipeline", "nightly"]}
            if day == flaky_night and j == 3:
                record = {"timestamp": iso(t), "request": request, "response": {"error": {"code": 503,
                          "message": "The model is overloaded. Please try again later.", "status": "UNAVAILABLE"}},
                          "status_code": 503, "latency_ms": int(rng.integers(2000, 9000)), **outer}  # fmt: skip
                log.add(dumps(record), "gemini-2.5-flash", failed=True)
                t = t + timedelta(seconds=30)
            out, thoughts = int(rng.integers(280, 520)), int(rng.integers(250, 1600))
            text = (f"Digest for {ws}, {date}: {tickets} tickets ({'below' if yesterday_weekend else 'near'} the 7-day "
                    "average). Fastest growing: shipping delays, refund status, login issues...")  # fmt: skip
            response = gemini_response(rng, "gemini-2.5-flash", text, prompt, cached, out, thoughts)
            record = {"timestamp": iso(t), "request": request, "response": response, "status_code": 200,
                      "latency_ms": int(rng.integers(6000, 21000)), **outer}  # fmt: skip
            log.add(dumps(record), "gemini-2.5-flash", input=prompt, output=out + thoughts, cache_read=cached,
                    reasoning=thoughts)  # fmt: skip
        if weekday == 0:  # Monday: weekly trends on Pro for the enterprise workspace
            for ws in ("ws_northwind",):
                t = START + timedelta(days=day, hours=3, milliseconds=int(rng.integers(0, 600_000)))
                week_tokens = int(rng.integers(38000, 72000))
                user_text = f"Workspace {ws}: all tickets of the last 7 days with tags, timings and CSAT.\n" + "\n".join(
                    f"#{int(rng.integers(100000, 999999))} [{c}/{p}] {s}" for c, p, s, _ in (pick(rng, TICKETS) for _ in range(20))
                )  # fmt: skip
                request = {
                    "model": "gemini-2.5-pro",
                    "systemInstruction": {"parts": [{"text": "Write the weekly support trends report for the "
                                                    "customer's account manager: themes, CSAT drivers, risks, three "
                                                    "recommendations. Cite ticket numbers."}]},
                    "contents": [{"role": "user", "parts": [{"text": logged(user_text, week_tokens * 4)}]}],
                    "generationConfig": {"maxOutputTokens": 8192, "thinkingConfig": {"thinkingBudget": 4096}},
                }  # fmt: skip
                prompt = week_tokens + 52
                out, thoughts = int(rng.integers(1400, 2600)), int(rng.integers(1800, 4096))
                response = gemini_response(rng, "gemini-2.5-pro", f"Weekly trends for {ws}: shipping delays up 18%...",
                                           prompt, 0, out, thoughts)  # fmt: skip
                record = {"timestamp": iso(t), "request": request, "response": response, "status_code": 200,
                          "latency_ms": int(rng.integers(40000, 95000)), "user": ws, "feature": "weekly-trends",
                          "tags": ["pipeline", "weekly"]}  # fmt: skip
                log.add(dumps(record), "gemini-2.5-pro", input=prompt, output=out + thoughts, reasoning=thoughts)
        if day == blank_after_night:
            log.defect("", "blank_line", "an empty line left by a stray print() in the pipeline")
    return log


# --- batch/: the nightly OpenAI Batch extraction job -------------------------------------


def batch_job(rng: np.random.Generator) -> tuple[LogFile, LogFile]:
    """Closed tickets of each day go to the Batch API at 01:00 UTC (gpt-4o-mini, 24h window).

    The job appends every night's input and output files to one pair of files. Two lines
    of the month failed: one request expired before the window closed, one got a 500.
    """
    inp = LogFile("batch/extraction_input.jsonl", "openai-batch-input (joined)")
    out = LogFile("batch/extraction_output.jsonl", "openai-batch")
    failures = {(6, 4): "expired", (23, 2): "500"}
    for day in range(DAYS):
        submitted = START + timedelta(days=day, hours=1)
        weekend = (day + START.weekday() - 1) % 7 >= 5  # yesterday's closed tickets
        n = int(rng.integers(3, 7)) if weekend else int(rng.integers(8, 14))
        done = submitted + timedelta(minutes=int(rng.integers(18, 140)))
        for j in range(n):
            custom_id = f"closed-{(submitted - timedelta(days=1)).strftime('%Y%m%d')}-{j + 1:03d}"
            category, _, prompt, slots = random_ticket(rng)
            contacts = int(rng.integers(1, 5))
            body = {
                "model": "gpt-4o-mini",
                "messages": [{"role": "system", "content": BATCH_SYSTEM},
                             {"role": "user", "content": f"{prompt}\n\n(ticket closed after {contacts} contacts)"}],
                "response_format": {"type": "json_object"},
                "metadata": {"feature": "closed-ticket-extraction"},
            }  # fmt: skip
            inp.add(dumps({"custom_id": custom_id, "method": "POST", "url": "/v1/chat/completions", "body": body}),
                    "gpt-4o-mini")  # fmt: skip
            line: dict[str, Any] = {"id": "batch_req_" + hexid(rng, 32), "custom_id": custom_id}
            kind = failures.get((day, j))
            if kind == "expired":
                line |= {"response": None, "error": {"code": "batch_expired", "message": "This request could not be "
                         "executed before the completion window expired."}}  # fmt: skip
                out.add(dumps(line), "gpt-4o-mini", failed=True)
                continue
            if kind == "500":
                line |= {"response": {"status_code": 500, "request_id": hexid(rng, 32), "body": {"error": {
                    "message": "The server had an error while processing your request. Sorry about that!",
                    "type": "server_error", "param": None, "code": None}}}, "error": None}  # fmt: skip
                out.add(dumps(line), "gpt-4o-mini", failed=True)
                continue
            answer = json.dumps({"issue_type": category, "product": slots["p"] if slots["p"] in prompt else None,
                                 "order_id": slots["o"] if slots["o"] in prompt else None,
                                 "resolution": pick(rng, ["refunded", "replaced", "answered", "answered", "escalated"]),
                                 "root_cause": None, "contact_count": contacts})  # fmt: skip
            p_tokens = chat_prompt_tokens(ntok(BATCH_SYSTEM), ntok(body["messages"][1]["content"]))
            c_tokens = ntok(answer)
            t = done + timedelta(seconds=int(rng.integers(0, 600)))
            completion = chat_completion(
                rng, t, "gpt-4o-mini-2024-07-18", answer, "stop", openai_usage(p_tokens, c_tokens)
            )
            line |= {"response": {"status_code": 200, "request_id": hexid(rng, 32), "body": completion}, "error": None}
            out.add(dumps(line), "gpt-4o-mini-2024-07-18", input=p_tokens, output=c_tokens)
    return inp, out


# --- gateway/usage_export.csv: the gateway pilot -------------------------------------------

# (feature, model as the gateway spells it, provider, share, input range, output range)
GATEWAY_ROUTES = [
    ("classify-shadow", "deepseek-ai/DeepSeek-V4-Flash", "deepseek", 0.48, (1930, 2050), (14, 26)),
    ("kb-tagging", "Qwen/Qwen3-32B", "alibaba", 0.30, (900, 24000), (40, 120)),
    ("reply-translate", "THUDM/glm-4-plus", "zhipu", 0.22, (180, 700), (150, 650)),
]  # fmt: skip
# What the gateway bills (its cost_usd column): the providers' list prices (USD per million
# input, cached input, output, as in llmaudit's shipped tables of 2026-11-01) plus its 8%
# platform fee. llmaudit prices the list price, so the two totals differ by the markup.
GATEWAY_MARKUP = 1.08
GATEWAY_RATES = {
    model: tuple(rate * GATEWAY_MARKUP for rate in rates)
    for model, rates in {
        "deepseek-ai/DeepSeek-V4-Flash": (0.30, 0.006, 1.20),
        "Qwen/Qwen3-32B": (0.30, 0.30, 1.20),
        "THUDM/glm-4-plus": (0.20, 0.20, 0.80),
    }.items()
}
GATEWAY_HEADER = ("timestamp,request_id,model,provider,input_tokens,cached_tokens,output_tokens,latency_ms,"
                  "status,error_type,user,feature,cost_usd")  # fmt: skip


def gateway_export(rng: np.random.Generator) -> LogFile:
    """From Mar 16 the platform team routes three features through an LLM gateway to cheap
    models: a shadow copy of ticket classification (DeepSeek V4 Flash), help-center article
    tagging (Qwen3-32B; three articles exceed its 32K window, fail with 400 and fail over to
    GLM-4 Plus), and reply translation (GLM-4 Plus)."""
    log = LogFile("gateway/usage_export.csv", "generic (csv)", header=True)
    log.lines.append(GATEWAY_HEADER)
    times = business_times(rng, 300, first_day=15)
    routes = [GATEWAY_ROUTES[int(i)] for i in rng.choice(3, size=len(times), p=[r[3] for r in GATEWAY_ROUTES])]
    tagging = [i for i, r in enumerate(routes) if r[0] == "kb-tagging"]
    overflow = set(rng.choice(tagging, 3, replace=False).tolist())
    negative_at = 211  # a client-aborted stream: the gateway writes -1 for "unknown" output
    for n, (t, (feature, model, provider, _, in_range, out_range)) in enumerate(zip(times, routes, strict=True)):
        ws = "acme-internal" if feature == "kb-tagging" else workspace(rng)
        p, c = between(rng, in_range), between(rng, out_range)
        cached = 1856 if feature == "classify-shadow" and rng.random() < 0.7 else 0  # the shared system prompt
        latency = int(rng.integers(300, 2500)) + c * 8
        rid = "gw-" + hexid(rng, 16)
        if n in overflow:
            p = 33000 + int(rng.integers(0, 9000))  # the article does not fit Qwen3-32B's 32K window
            log.add(f"{iso(t)},{rid},{model},{provider},,,,{int(rng.integers(80, 200))},400,context_length_exceeded,"
                    f"{ws},{feature},0.00000000", model, failed=True)  # fmt: skip
            t = t + timedelta(milliseconds=int(rng.integers(200, 800)))
            model, provider, rid = "THUDM/glm-4-plus", "zhipu", "gw-" + hexid(rng, 16)
        rate_in, rate_cached, rate_out = GATEWAY_RATES[model]
        cost = ((p - cached) * rate_in + cached * rate_cached + c * rate_out) / 1e6
        if n == negative_at:
            log.defect(f"{iso(t)},{rid},{model},{provider},{p},{cached},-1,{latency},200,,{ws},{feature},"
                       f"{((p - cached) * rate_in + cached * rate_cached) / 1e6:.8f}", "negative_tokens",
                       "output_tokens -1: the gateway's 'unknown' sentinel for a client-aborted stream")  # fmt: skip
            continue
        log.add(
            f"{iso(t)},{rid},{model},{provider},{p},{cached},{c},{latency},200,,{ws},{feature},{cost:.8f}",
            model,
            input=p,
            output=c,
            cache_read=cached,
        )
        log.reported_cost_usd += float(f"{cost:.8f}")
    return log


# --- putting it together -----------------------------------------------------------------------

GENERATORS = (app_requests, support_bot, gemini_pipeline, batch_job, gateway_export)


def build() -> tuple[dict[str, bytes], dict[str, Any]]:
    """(relative path -> file bytes, manifest). Each generator has its own child seed."""
    files: dict[str, bytes] = {}
    manifest: dict[str, Any] = {"seed": SEED, "fine_tuned_model": FINE_TUNED_MODEL, "files": {}}
    for index, generator in enumerate(GENERATORS):
        result = generator(np.random.default_rng([SEED, index]))
        for log in result if isinstance(result, tuple) else (result,):
            files[log.path] = log.content()
            manifest["files"][log.path] = log.manifest()
    return files, manifest


def main(out_dir: Path = HERE) -> int:
    files, manifest = build()
    for rel, data in files.items():
        path = out_dir / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    for rel, info in manifest["files"].items():
        print(f"{rel}: {info['records']} records, {len(info['defects'])} defect lines, {len(files[rel]):,} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
