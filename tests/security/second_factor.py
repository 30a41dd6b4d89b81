"""A second-factor check named by AUTH_SECOND_FACTOR in the tests: refuses everyone."""


def always_refuse(user, request):
    return "请插入 USB Key 后再登录"
