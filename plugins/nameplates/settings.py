"""The module owner's settings, edited on the plugins page and read through ``registers.setting``."""

from console import Setting

from .services.seeds import REMOVED_PLAQUES

SETTINGS = (
    Setting("levels", "检查层级", "lines",
            default=["村自查", "乡镇全面复核", "县级二次复核", "县级随机抽查"],
            help="每行一个；检查表单中可选的检查层级"),
    Setting("deadline_plaque", "整改期限（滥挂牌，天）", "int", default=15, min=1, max=365),
    Setting("deadline_certificate", "整改期限（出具已取消证明，天）", "int", default=7, min=1, max=365),
    Setting("deadline_wallboard", "整改期限（上墙内容不规范，天）", "int", default=30, min=1, max=365),
    Setting("reinspection_days", "反弹后复查期限（天）", "int", default=30, min=1, max=365,
            help="倒查发现反弹后，自动安排复查的期限"),
    Setting("removed_plaques", "已清理牌子名录", "lines", default=list(REMOVED_PLAQUES),
            help="规范时已摘除或合并的牌子名称，每行一个；既不在白名单也不在此名录的名称会被标记为“未登记”"),
    Setting("photo_max_mb", "单张照片大小上限（MB）", "int", default=10, min=1, max=20),
    Setting("photos_max", "每次最多照片张数", "int", default=12, min=1, max=50),
)
