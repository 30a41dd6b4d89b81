"""The module owner's configuration: every list a dictionary seeded with common values."""

from console import Setting

SETTINGS = (
    Setting("send_items", "“送”的事项", "lines", ["送政策", "送服务", "送温暖"],
            help="每行一项；走访时勾选本次送了哪些"),
    Setting("enter_targets", "“进”的对象", "lines", ["进企业", "进车间", "进班组"],
            help="每行一项；走访时选择本次进到哪里"),
    Setting("problem_categories", "诉求类别", "lines",
            ["融资信贷", "用工招聘", "政策咨询", "审批办证", "水电气路", "市场开拓", "科技创新",
             "法律服务", "党建指导", "其他"], help="每行一项"),
    Setting("industries", "行业", "lines",
            ["农林牧渔", "采矿业", "制造业", "建筑业", "批发零售", "交通运输", "住宿餐饮",
             "信息技术", "金融业", "房地产", "商务服务", "科技服务", "文化旅游", "其他"],
            help="每行一项；企业登记和导入时可选"),
    Setting("sizes", "企业规模", "lines", ["大型", "中型", "小型", "微型"], help="每行一项"),
    Setting("default_deadline_days", "默认办理时限（天）", "int", 30, min=1, max=365,
            help="登记诉求时未填写时限，按提出日期加上这么多天"),
    Setting("reminder_days", "临期提醒（天）", "int", 3, min=1, max=30,
            help="每天提醒责任单位：这么多天内到期的诉求和已逾期的诉求"),
)
