"""The oVirt API level this engine speaks, as ``product_info`` and the self-description report it."""

PRODUCT_VERSION = (4, 5, 6)
