# 基层治理控制台: set-up, demo, tests and benchmarks.  `make demo` and `make test` are all a
# newcomer needs on a fresh Debian machine.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= $(or $(JICENG_PORT),8080)
STAMP := $(VENV)/.installed

.PHONY: demo test stress test-sqlite test-postgres test-bundle bundle bench venv fonts chromium clean help

help:
	@echo "make demo   建环境、初始化数据库、载入昭通演示数据并启动控制台 (http://127.0.0.1:$(PORT)/)"
	@echo "make test   建环境并运行全部测试（SQLite；本机有 PostgreSQL 时再在 PostgreSQL 上运行一遍）"
	@echo "make bench  全市规模性能测试"
	@echo "make bundle 制作内网离线安装包 dist/jiceng-bundle-<版本>-<平台>.tar.gz"

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

# The message catalogs are compiled by the app factory itself (console/i18n.py).
venv: $(STAMP)

# WeasyPrint draws empty boxes, silently, without a Simplified-Chinese font.
fonts:
	@if fc-list :lang=zh-cn family 2>/dev/null | grep -q "Noto Sans CJK SC"; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "安装中文字体 fonts-noto-cjk ..."; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-noto-cjk fontconfig >/dev/null; \
	else \
		echo "缺少简体中文字体：请以 root 运行 'apt-get install fonts-noto-cjk'（或安装含 Noto Sans CJK SC 的字体包）后重试。" >&2; exit 1; \
	fi

# Browser tests drive Debian's Chromium: Playwright's own browser download cannot work offline.
chromium:
	@if [ -x /usr/bin/chromium ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "安装 chromium ..."; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	else \
		echo "缺少 /usr/bin/chromium：请以 root 运行 'apt-get install chromium' 后重试。" >&2; exit 1; \
	fi

demo: venv fonts
	$(BIN)/jiceng init
	$(BIN)/jiceng demo
	JICENG_PORT=$(PORT) $(BIN)/jiceng serve

# The two passes run side by side, one per core (each has its own databases and temporary folders);
# the PostgreSQL pass's report follows the SQLite one's.
test: venv fonts chromium
	@if $(BIN)/python -m tests.postgres_available; then \
		echo "SQLite 与 PostgreSQL 两遍同时运行，PostgreSQL 一遍的结果随后给出 ..."; \
		log=$$(mktemp); base=$$(mktemp -d); \
		JICENG_TEST_DATABASE=postgres $(BIN)/pytest -p no:cacheprovider --basetemp=$$base \
			-m "not browser and not bench and not stress and not bundle" >$$log 2>&1 & pg=$$!; \
		$(BIN)/pytest -m "not stress and not bundle"; sqlite=$$?; \
		wait $$pg; postgres=$$?; \
		echo "—— PostgreSQL ——"; cat $$log; rm -rf $$log $$base; \
		test $$sqlite -eq 0 && test $$postgres -eq 0; \
	else \
		$(BIN)/pytest -m "not stress and not bundle" && \
		echo "未找到 PostgreSQL（JICENG_TEST_POSTGRES_URL 或 127.0.0.1:5432）：只在 SQLite 上运行了测试。"; \
	fi

# Concurrent writers and injected faults (worker killed mid-import, renderer killed mid-briefing,
# database connections dropped, a full disk): slower, on both databases.
stress: venv fonts
	$(BIN)/pytest -m stress
	@if $(BIN)/python -m tests.postgres_available; then \
		JICENG_TEST_DATABASE=postgres $(BIN)/pytest -m stress; \
	else \
		echo "未找到 PostgreSQL：只在 SQLite 上运行了压力测试。"; \
	fi

test-sqlite: venv
	$(BIN)/pytest -m "not bundle"

test-postgres: venv
	JICENG_TEST_DATABASE=postgres $(BIN)/pytest -m "not browser and not bench and not bundle"

# The offline bundle for an intranet host (deploy/build_bundle.py; ARCH=aarch64 for another
# target): needs the package registries, and root to apt-get install fonts-noto-cjk if missing.
bundle: venv fonts
	$(BIN)/python deploy/build_bundle.py $(if $(ARCH),--arch $(ARCH))

# Builds the bundle, installs and upgrades it inside a network namespace with no network (root).
test-bundle: venv fonts
	$(BIN)/pytest -m bundle tests/test_bundle.py

bench: venv
	$(BIN)/python -m bench
	$(BIN)/python -m bench.audit_chain

clean:
	rm -rf $(VENV) build *.egg-info
