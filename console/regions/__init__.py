"""The region tree (city -> county -> township -> village) and the regional scope."""

from console.regions.rules import County, RegionError, city, counties, find

__all__ = ["County", "RegionError", "city", "counties", "find"]
