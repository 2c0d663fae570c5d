# Two commands do all the set-up on a machine with only python3: `make demo` and `make test`.
# Both create (or refresh, when requirements-dev.txt changes) the virtualenv in .venv first.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
BUILD := .build
# ansible-test needs the collection at .../ansible_collections/cloudreactor/aws and amazon.aws beside it.
SANITY_ROOT := $(BUILD)/sanity/ansible_collections
SANITY_COLLECTION := $(SANITY_ROOT)/cloudreactor/aws
ANSIBLE_TEST_CACHE := $(HOME)/.ansible/test/cache
PIP_FOR_ANSIBLE_TEST := 24.2
# Most tests wait on AWS state (propagation delays, NAT gateways) more than they compute: 5 workers keep 2 CPUs busy.
PYTEST_WORKERS ?= 5
# loadgroup: the tests of one xdist_group (a fault-matrix network) go to one worker, which builds that network once.
PYTEST_ARGS ?= -n $(PYTEST_WORKERS) --dist loadgroup

export ANSIBLE_CONFIG := $(CURDIR)/ansible.cfg
export PYTHONPATH := $(CURDIR)/tests
# Tests reach nothing but their emulator: never let boto3 ask the instance metadata address for credentials.
export AWS_EC2_METADATA_DISABLED := true
# Molecule and ansible-test call ansible-* by name: the virtualenv's must come first.
export PATH := $(CURDIR)/$(BIN):$(PATH)

.PHONY: demo test test-aws lint sanity sanity-bootstrap pytest unit integration molecule bench emulator changelog clean

demo: $(STAMP)
	$(BIN)/python -m demo

# pytest also runs every Molecule scenario (tests/integration/test_molecule_scenarios.py), beside the other tests;
# lint and sanity run beside pytest too, so no CPU idles while one of them runs alone (each target's output is
# printed when it ends; any failure fails `make test`).
test: $(STAMP)
	$(MAKE) --jobs=3 --output-sync=target lint sanity pytest

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/ansible-lint

pytest: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS) tests

unit: $(STAMP)
	$(BIN)/python -m pytest tests/unit

integration: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS) -m "not molecule" tests/integration tests/emulator

# The aws_lifecycle scenario on a real AWS account: it refuses unless CLOUDREACTOR_AWS_TESTS=1, and needs a region and
# credentials (docs/testing-on-aws.md: IAM policy, what it creates, cost, clean-up). Tears down after an interrupt too.
test-aws: $(STAMP)
	CLOUDREACTOR_TEST_TARGET=aws $(BIN)/python -m support.lifecycle_runner

# Each scenario starts and stops its own emulator (molecule/shared/create.yml, destroy.yml). `make test` runs them
# through pytest instead; this target runs them with Molecule alone.
molecule: $(STAMP)
	$(BIN)/molecule test --all

# Sanity runs on the built artifact: what users install is what gets checked, and a file that build_ignore
# should have dropped fails the run instead of shipping.
sanity: $(STAMP) sanity-bootstrap
	rm -rf $(BUILD)/sanity $(BUILD)/artifact && mkdir -p $(SANITY_COLLECTION) $(SANITY_ROOT)/amazon $(BUILD)/artifact
	$(BIN)/ansible-galaxy collection build --force --output-path $(BUILD)/artifact . >/dev/null
	tar -xzf $(BUILD)/artifact/cloudreactor-aws-*.tar.gz -C $(SANITY_COLLECTION)
	ln -s $(CURDIR)/$(VENV)/lib/python3.11/site-packages/ansible_collections/amazon/aws $(SANITY_ROOT)/amazon/aws
	# A repository of its own: inside this checkout's, ansible-test would list files with git and find none.
	printf "tests/output/\n" > $(SANITY_COLLECTION)/.gitignore
	cd $(SANITY_COLLECTION) && git init --quiet && git add --all
	cd $(SANITY_COLLECTION) && $(CURDIR)/$(BIN)/ansible-test sanity --venv --python 3.11 --color no

# ansible-test bootstraps pip in each sanity venv with a script from a host we cannot reach; serve it locally.
sanity-bootstrap: $(ANSIBLE_TEST_CACHE)/get_pip_24_2.py

$(ANSIBLE_TEST_CACHE)/get_pip_24_2.py: tests/sanity_bootstrap/get_pip.py | $(STAMP)
	mkdir -p $(ANSIBLE_TEST_CACHE)
	$(BIN)/python -m pip download --quiet --disable-pip-version-check --no-deps --dest $(ANSIBLE_TEST_CACHE) pip==$(PIP_FOR_ANSIBLE_TEST)
	cp $< $@

# Benchmark against the amazon.aws reference (docs/performance.md), ~10 min; not part of `make test`
# (tests/integration/test_bench_smoke.py runs the harness with tiny settings). Options: BENCH_ARGS="--help".
bench: $(STAMP)
	$(BIN)/python -m bench $(BENCH_ARGS)

# Run the emulator in the foreground (Ctrl-C stops it): for trying playbooks by hand.
emulator: $(STAMP)
	$(BIN)/python -m aws_emulator --port 5000

# Makes the release of galaxy.yml's version: the fragments in changelogs/fragments become that release in
# changelogs/changelog.yaml (and are deleted), and CHANGELOG.md is written from it. Run once per release, after the
# last fragment has landed, then commit changelogs/ (.plugin-cache.yaml included) and CHANGELOG.md. Lint first: a bad
# fragment stops the release.
changelog: $(STAMP)
	$(BIN)/antsibull-changelog lint
	$(BIN)/antsibull-changelog release

clean:
	rm -rf $(BUILD) $(VENV)
