"""The module owner's configuration: levels and their hours, the dictionaries, the periods."""

from console import Setting


def _check_levels(lines: list[str]) -> str | None:
    for line in lines:
        name, sep, hours = line.partition("=")
        if not sep or not name.strip() or not hours.strip().isdigit() or int(hours) <= 0:
            return f"的“{line}”格式不对，应为“等级名称=学时”，如“社会工作师=90”"
    return None


SETTINGS = (
    Setting("levels", "职业水平等级及每周期继续教育学时", "lines", check=_check_levels,
            default=["助理社会工作师=72", "社会工作师=90", "高级社会工作师=90"],
            help="每行一个等级，格式“等级名称=学时”；学时为一个登记有效期内须完成的继续教育学时"),
    Setting("routes", "取得方式", "lines", default=["考试", "考试+评审"]),
    Setting("education_sources", "继续教育来源", "lines",
            default=["集中培训", "网络学习", "学术会议", "专业督导", "课题研究", "发表论文"]),
    Setting("registration_years", "登记有效期（年）", "int", default=3, min=1, max=10),
    Setting("renewal_window_months", "延续登记提前受理（月）", "int", default=3, min=0, max=24,
            help="登记到期前多少个月起可申请延续登记"),
    Setting("max_hours_per_entry", "单条继续教育学时上限", "int", default=200, min=1, max=2000),
    Setting("reminder_days", "到期提醒（提前天数）", "lines", default=["90", "60", "30", "7"],
            help="每行一个天数；每个天数只提醒一次"),
)
