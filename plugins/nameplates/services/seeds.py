"""Starting contents of the registers the module owner keeps.

The whitelist is the example county plan in the city's notes.  The exact wording of the three
duty lists and of the 34 cancelled certificates is not at hand: those entries are plausible
demo wording and carry ``example=True`` (shown as 示例) until the owner replaces them.
"""

from __future__ import annotations

import datetime as dt

WHITELIST_EFFECTIVE = dt.date(2025, 1, 1)
WHITELIST = [
    ("村党组织", "outside"),
    ("村民委员会", "outside"),
    ("民兵连", "outside"),
    ("村党群服务中心", "outside"),
    ("新时代文明实践站", "inside"),
    ("综治中心", "inside"),
    ("集体经济组织", "inside"),
    ("退役军人服务站", "inside"),
]

# Plaques the standardization took down; a later inspection that finds one is a finding.
REMOVED_PLAQUES = [
    "老年人协会", "计划生育协会", "妇女之家", "关工委", "农家书屋", "禁毒工作站", "科普活动室",
    "法律服务室", "调解委员会", "红白理事会", "残疾人协会", "志愿服务站", "网格化服务站",
    "食品安全工作站", "安全生产监管站", "环境卫生监督站",
]

CANCELLED_CERTIFICATES = [
    "亲属关系证明", "婚姻状况证明", "无犯罪记录证明", "居民身份证遗失证明", "出生证明",
    "死亡证明", "健在证明", "收入证明", "家庭经济困难证明", "无业证明", "未参加工作证明",
    "房屋权属证明", "宅基地使用证明", "土地承包经营权证明", "子女上学居住证明", "社会保险缴费证明",
    "独生子女证明", "户口迁移证明", "常住人口登记证明", "曾用名证明", "同一人证明",
    "居住年限证明", "车辆所有权证明", "务工经历证明", "未再婚证明", "计划生育情况证明",
    "赡养关系证明", "残疾状况证明", "疾病诊断证明", "政治面貌证明", "品行表现证明",
    "养殖规模证明", "经营场所证明", "企业注册地址证明",
]
assert len(CANCELLED_CERTIFICATES) == 34

_DUTY_STEMS = {
    "party": [
        "宣传贯彻党的路线方针政策", "讨论决定村级重大事项", "加强党员教育管理监督", "发展党员工作",
        "领导村民委员会依法履职", "领导集体经济组织发展", "组织开展意识形态工作",
        "做好群众思想政治工作", "推进乡风文明建设", "领导基层治理工作",
    ],
    "autonomy": [
        "召集村民会议和村民代表会议", "办理本村公共事务和公益事业", "调解民间纠纷",
        "协助维护社会治安", "管理集体所有的土地和财产", "推行村务公开",
        "制定修订村规民约", "组织村民发展生产",
    ],
    "assist": [
        "协助开展社会保障服务", "协助开展医疗卫生服务", "协助开展就业服务", "协助开展退役军人服务",
        "协助开展残疾人服务", "协助开展养老服务", "协助开展防灾减灾工作", "协助开展人口普查统计",
        "协助开展农业农村服务", "协助开展生态环境保护",
    ],
}
DUTY_COUNTS = {"party": 29, "autonomy": 23, "assist": 53}


def duty_items() -> list[dict]:
    """(list_kind, number, title, example) rows for the three lists, all marked as examples."""
    rows = []
    for kind, count in DUTY_COUNTS.items():
        stems = _DUTY_STEMS[kind]
        for n in range(1, count + 1):
            stem = stems[(n - 1) % len(stems)]
            title = stem if n <= len(stems) else f"{stem}（细化事项{(n - 1) // len(stems)}）"
            rows.append({"list_kind": kind, "number": n, "title": title, "example": True})
    return rows


def certificate_rows() -> list[dict]:
    return [{"number": n, "name": name, "example": True}
            for n, name in enumerate(CANCELLED_CERTIFICATES, start=1)]
