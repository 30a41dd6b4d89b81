"""三送三进: a module of the console, registered through the ``console.plugins`` entry point.

City and county service teams visit private enterprises (送政策、送服务、送温暖 ...), record the
problems the enterprises raise and see each one through to a result.
"""

NAME = "visits"
TITLE = "三送三进"
