"""What the example's owner configures."""

from console import Setting

SETTINGS = (
    Setting("greeting", "问候语", default="你好"),
    Setting("limit", "上限", type="int", default=10, min=1, max=100),
)
