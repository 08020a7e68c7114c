"""Price tables: the YAML schema, loading and merging, validation, name resolution,
vectorized cost, sellers and their fees, importers and diffs."""

from llmaudit.pricing.cost import price_requests, resolve_models
from llmaudit.pricing.loader import load_pricing, validate_pricing
from llmaudit.pricing.prices import ModelPrice, TableInfo
from llmaudit.pricing.resolve import ModelResolver, ResolvedName
from llmaudit.pricing.sellers import FeeBreakdown, FeeItem, Seller, seller_fees
from llmaudit.pricing.table import PriceTable, shipped_pricing_dir
from llmaudit.pricing.validate import TableIssue, ValidationReport

__all__ = [
    "FeeBreakdown",
    "FeeItem",
    "ModelPrice",
    "ModelResolver",
    "PriceTable",
    "ResolvedName",
    "Seller",
    "TableInfo",
    "TableIssue",
    "ValidationReport",
    "load_pricing",
    "price_requests",
    "resolve_models",
    "seller_fees",
    "shipped_pricing_dir",
    "validate_pricing",
]
