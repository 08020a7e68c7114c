"""Price tables: the YAML schema, loading and merging, validation, name resolution,
vectorized cost, sellers and their fees, importers and diffs."""

from llmaudit.pricing.cost import price_requests, resolve_models
from llmaudit.pricing.loader import load_pricing, validate_pricing
from llmaudit.pricing.resolve import ModelResolver, Resolution
from llmaudit.pricing.sellers import FeeBreakdown, FeeItem, Seller, seller_fees
from llmaudit.pricing.table import ModelPrice, PriceTable, TableInfo, shipped_pricing_dir
from llmaudit.pricing.validate import Finding, ValidationReport

__all__ = [
    "FeeBreakdown",
    "FeeItem",
    "Finding",
    "ModelPrice",
    "ModelResolver",
    "PriceTable",
    "Resolution",
    "Seller",
    "TableInfo",
    "ValidationReport",
    "load_pricing",
    "price_requests",
    "resolve_models",
    "seller_fees",
    "shipped_pricing_dir",
    "validate_pricing",
]
