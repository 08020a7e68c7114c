"""Price tables: the YAML schema, loading and merging, name resolution, vectorized cost."""

from llmaudit.pricing.cost import price_requests, resolve_models
from llmaudit.pricing.resolve import ModelResolver, Resolution
from llmaudit.pricing.table import ModelPrice, PriceTable, TableInfo, load_pricing, shipped_pricing_dir

__all__ = [
    "ModelPrice",
    "ModelResolver",
    "PriceTable",
    "Resolution",
    "TableInfo",
    "load_pricing",
    "price_requests",
    "resolve_models",
    "shipped_pricing_dir",
]
