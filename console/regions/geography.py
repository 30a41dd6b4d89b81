"""Zhaotong's region tree, as the demo loads it.

The 11 counties are real (names and codes).  Township and village names are not at hand, so the
150 townships (16 街道, 94 镇, 40 乡) and 1,424 villages and communities are invented, flagged
``example`` and shown as 示例 in the console.
"""

from __future__ import annotations

import random

from console.regions.models import Region

CITY = ("530600", "昭通市")
# (code, name, townships, of which 街道, of which 乡)
COUNTIES = [
    ("530602", "昭阳区", 21, 6, 3),
    ("530621", "鲁甸县", 12, 1, 3),
    ("530622", "巧家县", 17, 1, 6),
    ("530623", "盐津县", 10, 1, 2),
    ("530624", "大关县", 9, 0, 3),
    ("530625", "永善县", 15, 1, 4),
    ("530626", "绥江县", 5, 0, 1),
    ("530627", "镇雄县", 31, 3, 8),
    ("530628", "彝良县", 16, 0, 6),
    ("530629", "威信县", 10, 1, 3),
    ("530681", "水富市", 4, 2, 1),
]
TOTAL_TOWNSHIPS = 150
TOTAL_VILLAGES = 1424

_SYLLABLES = (
    "青龙凤凰白鹤金沙石桥河坝新华红旗和平团结大水井田坪山林云岭松柏花园东西南北中兴隆"
    "安乐长春太阳光明文星龙泉玉溪清源丰收民主胜利永丰富民双河三合五里七星九龙湾塘岩"
)


def _names(rng: random.Random, count: int, suffixes, taken: set[str]) -> list[str]:
    out = []
    while len(out) < count:
        name = rng.choice(_SYLLABLES) + rng.choice(_SYLLABLES)
        suffix = suffixes[len(out)] if isinstance(suffixes, list) else suffixes
        if name[0] == name[1] or name + suffix in taken:
            continue
        taken.add(name + suffix)
        out.append(name + suffix)
    return out


def _village_counts(rng: random.Random, townships: int) -> list[int]:
    """Spread 1,424 villages over the 150 townships: 6 to 14 each, summing exactly."""
    counts = [rng.randint(6, 13) for _ in range(townships)]
    diff = TOTAL_VILLAGES - sum(counts)
    i = 0
    while diff:
        step = 1 if diff > 0 else -1
        if 4 <= counts[i % townships] + step <= 16:
            counts[i % townships] += step
            diff -= step
        i += 1
    return counts


def load_regions(session) -> int:
    """Create the tree if it is not there; returns the number of regions added."""
    if session.query(Region.id).filter(Region.code == CITY[0]).first():
        return 0
    assert sum(c[2] for c in COUNTIES) == TOTAL_TOWNSHIPS
    rng = random.Random(2025)
    city = Region(code=CITY[0], name=CITY[1], level="city", path=CITY[0] + ".")
    session.add(city)
    added = 1
    village_counts = iter(_village_counts(rng, TOTAL_TOWNSHIPS))
    for code, name, townships, streets, xiang in COUNTIES:
        county = Region(code=code, name=name, level="county", parent=city, path=city.path + code + ".")
        session.add(county)
        added += 1
        suffixes = ["街道"] * streets + ["乡"] * xiang + ["镇"] * (townships - streets - xiang)
        taken: set[str] = set()
        for t, tname in enumerate(_names(rng, townships, suffixes, taken), start=1):
            tcode = f"{code}{t:03d}"
            township = Region(code=tcode, name=tname, level="township", parent=county,
                              path=county.path + tcode + ".", example=True)
            session.add(township)
            added += 1
            n = next(village_counts)
            if tname.endswith("街道"):
                vsuffixes = "社区"
            else:
                vsuffixes = ["社区"] + ["村"] * (n - 1)
            for v, vname in enumerate(_names(rng, n, vsuffixes, set()), start=1):
                vcode = f"{tcode}{v:03d}"
                session.add(Region(code=vcode, name=vname, level="village", parent=township,
                                   path=township.path + vcode + ".", example=True))
                added += 1
    session.flush()
    return added
