"""The benchmark's floor phase calls the step handlers in its own process: a handler's module imported earlier,
outside the function's environment, would keep what it read at import (powertools' metrics namespace: none, so
every flush fails). So the benchmark's modules import no handler and no observability at import."""

import subprocess
import sys


def test_importing_the_benchmark_imports_no_handler() -> None:
    product = "('checkout_saga.handlers', 'checkout_saga.observability')"
    probe = f"import sys, saga_client.bench; print(sorted(m for m in sys.modules if m.startswith({product})))"
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
