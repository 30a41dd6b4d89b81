"""Default configuration of the console.

Every value here can be overridden, in this order, by ``instance/config.py`` and then by a
``JICENG_<NAME>`` environment variable (see ``console.settings``).  Only safe defaults live
here: the secret key is generated into the instance folder on first start, never fixed.
"""

APP_NAME = "基层治理控制台"
# The city the console serves: used on the cover of briefings and in page titles.
CITY_NAME = "昭通市"

# Embedded default; production sets JICENG_DATABASE_URL to PostgreSQL.
DATABASE_URL = None  # None means "a SQLite file in the instance folder"
SECRET_KEY = None  # None means "generated once into instance/secret_key"
TIMEZONE = "Asia/Shanghai"
# `jiceng serve`: address and port gunicorn binds, and its worker count.
BIND = "127.0.0.1"
PORT = 8080
WORKERS = 2
# The scheduler catches up a slot missed while it was down if it is at most this old.
MISFIRE_GRACE_SECONDS = 6 * 3600

# The console's public address (e.g. https://jiceng.example.gov.cn), for links that leave a
# request: e-mails sent by jobs, QR codes on certificate cards, briefings (the web's and the
# command line's alike).  Required in production, i.e. when BIND is not a loopback address: the
# console refuses to start without it.  Unset on the embedded demo: http://BIND:PORT/.
BASE_URL = None

# Redis URL for login rate limiting shared by several hosts; memory when unset.
REDIS_URL = None
LOGIN_RATE_LIMIT = "10 per minute"

# E-mail for notifications; in-app only while MAIL_SERVER is unset.
MAIL_SERVER = None
MAIL_PORT = 25
MAIL_USE_TLS = False
MAIL_USERNAME = None
MAIL_PASSWORD = None
MAIL_FROM = "jiceng@localhost"
MAIL_TIMEOUT = 10

# Uploads: the largest file accepted and the largest image kept (longest side, pixels).
MAX_UPLOAD_MB = 20
IMAGE_MAX_SIDE = 1600
# Above a 48-megapixel phone photo, below Pillow's own bomb threshold (about 89 million).
IMAGE_MAX_PIXELS = 50_000_000

# Cryptography (console.foundation.crypto): "standard" (AES-256-GCM, HMAC-SHA-256, scrypt
# passwords) or "sm" (national algorithms: SM4-GCM, HMAC-SM3, PBKDF2-HMAC-SM3 passwords).
CRYPTO = "standard"
# The data key, apart from SECRET_KEY: "VERSION:HEX" lines or comma-separated items (a bare HEX is
# version 1; the highest version writes, all listed read).  None means "instance/data_key",
# generated on first start.  Back it up apart from the database: without it encrypted data and
# the audit chain's proof are lost.
DATA_KEY = None

# Audit log (console.audit.chain): rows are kept in the database at least this many days before
# `jiceng audit archive` may move them to a signed file; less than 180 is refused (网络安全法
# 第二十一条: logs kept no less than six months).
AUDIT_RETENTION_DAYS = 180
# Where the chain head is appended after every audited commit, outside the database, so that a
# truncated table shows; None means "instance/audit_head.log".  Also to syslog (LOG_AUTHPRIV)
# when AUDIT_HEAD_SYSLOG is true.
AUDIT_HEAD_FILE = None
AUDIT_HEAD_SYSLOG = False

# Minimum password length; complexity rules live in console.passwords.
PASSWORD_MIN_LENGTH = 10

# Login policy (console.security.accounts, activity, secondfactor); 0 switches a rule off.
# After this many failed logins in a row an account is locked, whatever the client address
# (the login form and the REST login count alike) ...
AUTH_LOCKOUT_ATTEMPTS = 5
# ... for this many minutes, or until the security admin unlocks it (users page, "解除锁定").
AUTH_LOCKOUT_MINUTES = 30
# A password older than this must be changed before anything else.
AUTH_PASSWORD_MAX_AGE_DAYS = 90
# A new password may not be any of the account's last this-many passwords (the current included).
AUTH_PASSWORD_HISTORY = 5
# A browser session or an API token unused this long is signed out, besides the absolute
# lifetime (8 hours for a session, JWT_ACCESS_TOKEN_EXPIRES for a token).
AUTH_IDLE_MINUTES = 30
# A second login factor (certificate / USB key, one-time code): "package.module:function",
# called after the password is accepted; see console/security/secondfactor.py and SECURITY.md.
AUTH_SECOND_FACTOR = None

BABEL_DEFAULT_LOCALE = "zh"

# Briefings: the renderer runs in a child process that is killed after this many seconds and
# may not use more than this much memory (a 28-page report peaked near 400 MiB, measured).
BRIEFING_RENDER_TIMEOUT = 300
BRIEFING_RENDER_MEMORY_MB = 1536
# A briefing's e-mail carries its PDF up to this size; mailboxes refuse larger messages.
BRIEFING_MAIL_MAX_MB = 10
# A failed run is tried again, with a growing pause, at most this many more times.
BRIEFING_RETRY_LIMIT = 3
# A schedule slot missed while the scheduler was down is run once if it is at most this old.
BRIEFING_GRACE_SECONDS = 6 * 3600

# Imports (console.files.spreadsheets, console.imports.pipeline): what a hostile spreadsheet may
# cost.  An .xlsx is inspected from its zip directory before openpyxl parses it, and refused in
# Chinese, naming the limit, when the sizes it declares exceed one of these:
# - its members' declared uncompressed sizes added up (a 432,000-row file is about 130 MB);
IMPORTS_XLSX_MAX_UNCOMPRESSED_MB = 300
# - one member's compression ratio, counted for members larger than IMPORTS_XLSX_RATIO_ABOVE_MB
#   (ordinary sheets compress 5:1 to 30:1; a zip bomb, thousands to one);
IMPORTS_XLSX_MAX_RATIO = 100
IMPORTS_XLSX_RATIO_ABOVE_MB = 1
# - xl/styles.xml, which openpyxl loads whole (a 4 MB style bomb cost 1.35 GB, measured);
IMPORTS_XLSX_MAX_STYLES_MB = 5
# - xl/sharedStrings.xml, which openpyxl keeps whole in memory (2 million strings: 362 MB);
IMPORTS_XLSX_MAX_SHARED_STRINGS_MB = 64
# - the first sheet's declared dimension, and the rows actually read, of any file (Excel's own
#   maxima are 1,048,576 rows and 16,384 columns);
IMPORTS_MAX_ROWS = 600_000
IMPORTS_MAX_COLUMNS = 1_024
# A CSV line longer than this is refused before the csv module reads it (one 100 MB line took
# 2.5 GB, measured).  A cell is also held to csv.field_size_limit() (128 K characters).
IMPORTS_CSV_MAX_LINE_KB = 1_024
# The file is parsed in a short-lived child process of its own, which streams the rows back to
# the importing worker: what a file costs to read beyond the limits above falls on that child,
# which may use at most this much address space (RLIMIT_AS; a Python child with openpyxl starts
# near 190 MB of it) and this much CPU time (RLIMIT_CPU; 432,000 rows of .xlsx take about a
# minute).  A file that needs more is refused, naming the limit, and nothing is written.
IMPORTS_PARSE_MEMORY_MB = 512
IMPORTS_PARSE_CPU_SECONDS = 600
