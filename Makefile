# The project's interface: `make demo` and `make test` are all a fresh clone needs (python3 >= 3.11, make, git).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
SAM_VENV := .venv-sam
CHECKOV_VENV := .venv-checkov
PY := $(VENV)/bin/python
SAM := $(SAM_VENV)/bin/sam
export PYTHONPATH := functions:infra:.
export AWS_DEFAULT_REGION ?= us-east-1
# The local cloud accepts any credentials; these keep boto3 and the AWS CLI from looking for real ones.
export AWS_ACCESS_KEY_ID ?= test
export AWS_SECRET_ACCESS_KEY ?= test
export SAM_CLI_TELEMETRY := 0
# Bytecode caches (`__pycache__/`, ignored by git and by function packages) are kept even where the environment
# turns them off: each of the suite's pytest workers otherwise compiles and assertion-rewrites every test module
# again (6 of its 12 s of start-up), and each local cloud process its own modules.
unexport PYTHONDONTWRITEBYTECODE
LOCAL_CLOUD_PORT ?= 4566
export LOCAL_CLOUD_PORT
ENDPOINT := http://localhost:$(LOCAL_CLOUD_PORT)
STACK ?= checkout-saga
LOCAL_PARAMETERS := LocalEndpoint=$(ENDPOINT) RetryIntervalSeconds=1 RetryBackoffRate=1 ApiRateLimit=10000 ApiBurstLimit=5000 \
    CompensationReservedConcurrency=50 ProtectData=false EnableFaultInjection=true
# `make up PARAMETER_OVERRIDES="ApiRateLimit=5 ApiBurstLimit=10"`: template parameters, as sam deploy takes them.
PARAMETER_OVERRIDES ?=

.PHONY: help install demo up down outputs token deploy deploy-localstack sam-env-localstack seed test test-fast lint format openapi chaos simulate flashsale replay redrive schemas bench check-catches check-iam screenshots clean

help:
	@echo "make demo      start the local cloud, deploy, run one confirmed and one compensated checkout, stop"
	@echo "make test      the whole test suite (unit, state machine paths, end to end on the local cloud), both cores"
	@echo "make test-fast the tiers that open no socket (unit, API and state machine in process): under a minute"
	@echo "make check-catches   remove each Catch of the ASL in turn: the path tests must fail every time"
	@echo "make check-iam [RESOURCES=..] [ACTION=..] [STATEMENT=..] [PARTS=8 [PART=n]]   remove each IAM policy statement in turn: a test must fail every time"
	@echo "make up|down   start (deploy + seed) / stop the local cloud on 127.0.0.1:$(LOCAL_CLOUD_PORT) (LOCAL_CLOUD_HOST=0.0.0.0 LOCAL_CLOUD_ALLOWED_PEERS=172.17.0.0/16 for containers); saga console at /_console/"
	@echo "make outputs   the deployed stack's outputs as one JSON object"
	@echo "make token USER=<name> [GROUP=admins]   a Cognito ID token for the API (Authorization header)"
	@echo "make deploy-localstack       samlocal build + deploy to LocalStack (docker compose up -d --wait first)"
	@echo "make lint      ruff, ruff format, mypy strict (all Python), cfn-lint, sam validate --lint, checkov (CI runs it)"
	@echo "make screenshots   the saga console's browser tests, keeping docs/console*.png"
	@echo "make openapi   regenerate openapi.json from the API's code"
	@echo "make flashsale [FLASHSALE_WCU=10]   one SKU's flash sale with 1 and 8 stock shards, DynamoDB's per-key limit lowered (docs/scale.md)"
	@echo "make chaos N=1000 SEED=42 [COORDINATION=choreography]   faults at every step, duplicates, races; invariants checked"
	@echo "make simulate [SEED=<n>] [BUDGET=<seconds>]   the deterministic simulator: replay one schedule or explore new ones"
	@echo "make resume ORDER=<id>      finish the undo of a COMPENSATION_FAILED saga"
	@echo "make replay SINCE=<ISO> [UNTIL=<ISO>]   replay the saga events' archive to the read models only"
	@echo "make redrive   every dead-letter queue's messages back to their source queue, how many per queue"

# ---------------------------------------------------------------- environments
$(VENV)/.installed: requirements-dev.txt functions/requirements.txt
	@test -x $(PY) || { echo ">> creating $(VENV)" >&2; $(PYTHON) -m venv $(VENV); }
	@echo ">> installing the pinned dependencies into $(VENV) (first time: about a minute)" >&2
	@$(PY) -m pip install -q --disable-pip-version-check -r requirements-dev.txt
	@touch $@

$(SAM_VENV)/.installed: requirements-sam.txt
	@test -x $(SAM_VENV)/bin/python || { echo ">> creating $(SAM_VENV) (aws-sam-cli pins its own boto3)" >&2; $(PYTHON) -m venv $(SAM_VENV); }
	@echo ">> installing aws-sam-cli into $(SAM_VENV)" >&2
	@$(SAM_VENV)/bin/python -m pip install -q --disable-pip-version-check -r requirements-sam.txt
	@touch $@

# checkov (`make lint`) pins libraries of its own too.
$(CHECKOV_VENV)/.installed: requirements-checkov.txt
	@test -x $(CHECKOV_VENV)/bin/python || { echo ">> creating $(CHECKOV_VENV)" >&2; $(PYTHON) -m venv $(CHECKOV_VENV); }
	@echo ">> installing checkov into $(CHECKOV_VENV)" >&2
	@$(CHECKOV_VENV)/bin/python -m pip install -q --disable-pip-version-check -r requirements-checkov.txt
	@touch $@

install: $(VENV)/.installed $(SAM_VENV)/.installed

# ---------------------------------------------------------------- local cloud
demo: $(VENV)/.installed
	@$(PY) -m saga_client demo --port $(LOCAL_CLOUD_PORT) --stack-name $(STACK)

up: $(VENV)/.installed
	@$(PY) -m local_cloud up --port $(LOCAL_CLOUD_PORT)
	@$(MAKE) --no-print-directory deploy seed
	@echo "API: $$($(PY) -m deployer outputs --endpoint-url $(ENDPOINT) --stack-name $(STACK) | $(PY) -c 'import json,sys; print(json.load(sys.stdin)["ApiUrl"])')"
	@echo "Saga console: $(ENDPOINT)/_console/  (\`make demo\` adds a confirmed and a cancelled saga to look at)"

deploy: $(VENV)/.installed
	@$(PY) -m deployer deploy --endpoint-url $(ENDPOINT) --stack-name $(STACK) --parameter-overrides $(LOCAL_PARAMETERS) $(PARAMETER_OVERRIDES) >/dev/null

seed: $(VENV)/.installed
	@$(PY) -m saga_client seed --endpoint-url $(ENDPOINT) --stack-name $(STACK)

# LocalStack (needs Docker): `docker compose up -d --wait`, then this. It first asks LocalStack which services it
# runs, and stops naming any the template needs that it lacks (Cognito: a paid plan). LocalStack's own CloudFormation deploys
# template.yaml (it runs the SAM transform), as on AWS; samlocal is sam with its AWS calls sent to LocalStack.
# samconfig.toml [localstack] holds the stack name and the local parameters.
deploy-localstack: $(SAM_VENV)/.installed $(VENV)/.installed
	@$(PY) -m saga_client localstack-check --endpoint-url http://localhost:4566
	@$(SAM_VENV)/bin/samlocal build
	@$(SAM_VENV)/bin/samlocal deploy --config-env localstack

# `sam local invoke --env-vars` for the stack on LocalStack, whose CloudFormation gives generated names.
# Containers reach LocalStack on the compose network (`--docker-network checkout-saga-localstack`).
sam-env-localstack: $(VENV)/.installed
	@$(PY) -m saga_client sam-env --endpoint-url http://localhost:4566 --stack-name $(STACK) \
		--container-endpoint http://checkout-saga-localstack:4566 --output events/sam-local-env.localstack.json

# One Cognito ID token line for USER of the running stack's pool (created if missing); GROUP=admins: an operator.
# USER must come from the command line: the environment's $USER is the login name, not a customer.
token: $(VENV)/.installed
	@test "$(origin USER)" = "command line" || { echo "usage: make token USER=<name> [GROUP=admins]" >&2; exit 2; }
	@$(PY) -m saga_client token --endpoint-url $(ENDPOINT) --stack-name $(STACK) --user "$(USER)" --group "$(GROUP)"

down: $(VENV)/.installed
	@$(PY) -m local_cloud down

outputs: $(VENV)/.installed
	@$(PY) -m deployer outputs --endpoint-url $(ENDPOINT) --stack-name $(STACK)

# ---------------------------------------------------------------- quality
# The tiers (docs/testing.md). Every core: pytest-xdist, each module (or group of modules sharing a stack) on one
# worker (tests/conftest.py); two workers more than cores, as a good part of the suite waits (retry delays, polls);
# the in-process tiers of test-fast compute, and take one more than cores. TEST_WORKERS=0 runs in this process.
TEST_WORKERS ?= $(shell echo $$(( $$(nproc) + 2 )))
FAST_WORKERS ?= $(shell echo $$(( $$(nproc) + 1 )))
xdist = $(if $(filter 0,$(1)),,-n $(1) --dist loadscope --no-loadscope-reorder)
FAST_TIERS := not e2e and not server and not slow

test: $(VENV)/.installed $(SAM_VENV)/.installed
	@$(PY) -m pytest $(call xdist,$(TEST_WORKERS)) $(PYTEST_ARGS)

# The console's browser tests (headless Chromium), keeping their screenshots in docs/ (docs/operations.md shows them).
screenshots: $(VENV)/.installed
	@CONSOLE_SCREENSHOT_DIR=docs $(PY) -m pytest -q tests/e2e/test_console_browser.py

check-catches: $(VENV)/.installed
	@$(PY) -m checks.check_catches

# Each policy statement of template.yaml in turn removed: a test must fail every time (30-60 minutes;
# RESOURCES="ApiFunction ..." checks those resources' statements only, ACTION= one action, STATEMENT= these Sids; PARTS=8 one eighth of the removals by cost,
# today's (the day of the year modulo 8; PART=n another): CI checks them all over eight days).
check-iam: $(VENV)/.installed
	@$(PY) -m checks.check_iam $(RESOURCES) $(if $(ACTION),--action $(ACTION)) \
		$(foreach sid,$(STATEMENT),--statement $(sid)) $(if $(PARTS),--parts $(PARTS)) $(if $(PART),--part $(PART))

# The inner loop: unit, in-process API and state machine tiers, and the other tests that open no socket. tests/e2e
# and tests/infra are wholly of the tiers it leaves out (tests/conftest.py): not even collected (their imports cost).
test-fast: $(VENV)/.installed $(SAM_VENV)/.installed
	@$(PY) -m pytest $(call xdist,$(FAST_WORKERS)) -q -m "$(FAST_TIERS)" --ignore=tests/e2e --ignore=tests/infra $(PYTEST_ARGS)

# The same checks run in CI (.ci/run) and, on the files a commit changes, as git hooks (.pre-commit-config.yaml).
lint: $(VENV)/.installed $(SAM_VENV)/.installed $(CHECKOV_VENV)/.installed
	$(VENV)/bin/ruff check functions infra tests
	$(VENV)/bin/ruff format --check functions infra tests
	$(VENV)/bin/mypy
	$(VENV)/bin/cfn-lint --include-checks I -- template.yaml
	$(SAM) validate --lint --region $(AWS_DEFAULT_REGION)
	$(CHECKOV_VENV)/bin/checkov --config-file .checkov.yaml -f template.yaml

format: $(VENV)/.installed
	$(VENV)/bin/ruff format functions infra tests
	$(VENV)/bin/ruff check --fix functions infra tests

N ?= 1000
SEED ?= 42
COORDINATION ?= orchestration
# WORKFLOW=EXPRESS: the checkout as an Express workflow (stack $(STACK)-express), some executions run twice (docs/scale.md).
WORKFLOW ?= STANDARD
chaos: $(VENV)/.installed
	@$(PY) -m saga_client chaos --sagas $(N) --seed $(SEED) --coordination $(COORDINATION) --port $(LOCAL_CLOUD_PORT) --stack-name $(STACK) \
		--workflow $(WORKFLOW)

# One SKU's flash sale past DynamoDB's hot-key limit (docs/scale.md): its own local cloud on a free port, the
# per-key limit of the inventory table lowered to FLASHSALE_WCU write units/s; FLASHSALE_ARGS e.g. "--buyers 400 --units 80".
FLASHSALE_WCU ?= 4
flashsale: $(VENV)/.installed
	@$(PY) -m saga_client flashsale --partition-wcu $(FLASHSALE_WCU) $(FLASHSALE_ARGS)

# The choreography's event schemas, one per version, from their pydantic models (docs/choreography.md).
schemas: $(VENV)/.installed
	@$(PY) -m checkout_saga.event_schemas docs/schemas

# Every dead-letter queue's messages back to their source queue (SQS StartMessageMoveTask); prints per queue how many.
redrive: $(VENV)/.installed
	@$(PY) -m saga_client redrive --endpoint-url $(ENDPOINT) --stack-name $(STACK)

# The deterministic simulator (docs/simulation.md): SEED=<n> replays one schedule, BUDGET=<seconds> explores new ones.
simulate: $(VENV)/.installed
	@$(PY) -m simulator $(if $(filter command line environment,$(origin SEED)),--seed $(SEED)) $(if $(BUDGET),--budget $(BUDGET))

resume: $(VENV)/.installed
	@test -n "$(ORDER)" || { echo "usage: make resume ORDER=<orderId>" >&2; exit 2; }
	@$(PY) -m saga_client resume $(ORDER) --endpoint-url $(ENDPOINT) --stack-name $(STACK)

# Replays the saga events' archive to the read models only (docs/events.md): make replay SINCE=<ISO> [UNTIL=<ISO>]
replay: $(VENV)/.installed
	@test -n "$(SINCE)" || { echo "usage: make replay SINCE=<ISO time> [UNTIL=<ISO time>]" >&2; exit 2; }
	@$(PY) -m saga_client replay --since "$(SINCE)" --until "$(UNTIL)" --endpoint-url $(ENDPOINT) --stack-name $(STACK)

# The benchmark (docs/speed-and-cost.md): reuses the cloud on LOCAL_CLOUD_PORT or starts one; BENCH_ARGS e.g. "--sagas 50 --growth-sizes ''";
# SUSTAINED=600 adds a 10-minute run at concurrency 8 (latency and the local cloud's memory, minute by minute).
SUSTAINED ?= 0
bench: $(VENV)/.installed
	@$(PY) -m saga_client bench --port $(LOCAL_CLOUD_PORT) --stack-name $(STACK) --report bench-report.json \
		--sustained $(SUSTAINED) $(BENCH_ARGS)

openapi: $(VENV)/.installed
	$(PY) -m checkout_saga.handlers.api --write-openapi openapi.json

clean:
	rm -rf .aws-sam .local-cloud .pytest_cache .mypy_cache .ruff_cache
