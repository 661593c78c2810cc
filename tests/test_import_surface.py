"""The import surface: ``import simcore`` and ``import simcore.core`` load no shell
library, every public name of ``simcore`` still resolves (lazily, PEP 562), and the
core's modules import each other in one direction only (no circle, no import hidden in
a function)."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import simcore

# Libraries of the shell (files, store, service, plots, clusters): the core never needs them.
SHELL = ("xarray", "pydantic", "fastapi", "matplotlib", "zarr", "dask")

# What ``simcore.<name>`` gave before the package imported lazily (``__all__`` then,
# plus the subpackages its eager imports loaded). Frozen here: a name may be added,
# none of these may go.
PUBLIC = {
    "BASELINE_POLICY": "simcore.schema.config",
    "RunConfig": "simcore.schema.config",
    "load_config": "simcore.schema.config",
    "parse_config": "simcore.schema.config",
    "InputError": "simcore.schema.errors",
    "LoadedModel": "simcore.schema.modelfile",
    "load_model": "simcore.schema.modelfile",
    "parse_model": "simcore.schema.modelfile",
    "Simulation": "simcore.run.runner",
    "daily_trajectories": "simcore.run.runner",
    "iter_chunks": "simcore.run.runner",
    "normal_times": "simcore.run.runner",
    "sample_scenarios": "simcore.run.runner",
    "simulate": "simcore.run.runner",
    "pillar_effects": "simcore.run.summary",
    "summarize": "simcore.run.summary",
}
SUBPACKAGES = ("core", "run", "schema")

CORE_DIR = Path(simcore.__file__).parent / "core"


def _run(code: str) -> dict:
    """Run ``code`` in a fresh interpreter; it prints one JSON line, returned here."""
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_import_simcore_and_simcore_core_load_no_shell_library():
    found = _run(f"""
        import json, sys
        shell = {SHELL!r}

        def loaded():
            return sorted(name for name in sys.modules if name.split(".")[0] in shell)

        import simcore
        after_simcore = loaded()
        import simcore.core
        after_core = loaded()
        print(json.dumps({{"simcore": after_simcore, "core": after_core,
                           "simcore_modules": sorted(m for m in sys.modules if m.startswith("simcore"))}}))
    """)
    assert found["simcore"] == [], f"import simcore loads {found['simcore']}"
    assert found["core"] == [], f"import simcore.core loads {found['core']}"
    # and nothing of the shell's own packages either
    outside = [m for m in found["simcore_modules"] if m != "simcore" and not m.startswith("simcore.core")]
    assert outside == [], f"import simcore.core loads {outside}"


def test_every_public_name_of_simcore_resolves_lazily():
    found = _run(f"""
        import importlib, json, sys
        import simcore
        public = {PUBLIC!r}
        lazy = [name for name in public if name in vars(simcore)]  # none may be loaded yet
        same = {{name: getattr(simcore, name) is getattr(importlib.import_module(module), name)
                 for name, module in public.items()}}
        subpackages = {{name: getattr(simcore, name) is sys.modules["simcore." + name]
                        for name in {SUBPACKAGES!r}}}
        try:
            simcore.no_such_name
            missing = "no error"
        except AttributeError as error:
            missing = str(error)
        print(json.dumps({{"lazy": lazy, "same": same, "subpackages": subpackages, "missing": missing,
                           "all": simcore.__all__, "dir": dir(simcore)}}))
    """)
    assert found["lazy"] == []
    assert found["same"] == {name: True for name in PUBLIC}
    assert found["subpackages"] == {name: True for name in SUBPACKAGES}
    assert "no_such_name" in found["missing"]
    assert set(PUBLIC) <= set(found["all"])
    assert set(PUBLIC) | set(SUBPACKAGES) <= set(found["dir"])


@pytest.mark.parametrize("name", sorted(PUBLIC))
def test_from_simcore_import_name(name):
    namespace: dict = {}
    exec(f"from simcore import {name}", namespace)
    module = sys.modules[PUBLIC[name]]
    assert namespace[name] is getattr(module, name)


def test_every_public_name_of_simcore_core_resolves():
    import simcore.core

    for name in simcore.core.__all__:
        assert getattr(simcore.core, name) is not None, name


def _imports(path: Path):
    """``(module, top_level)`` for every import statement of ``path`` (relative imports
    are not used in simcore)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    top = {id(node) for node in tree.body}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, id(node) in top
        elif isinstance(node, ast.ImportFrom) and node.module:
            if node.module == "simcore.core":  # from simcore.core import smooth
                for alias in node.names:
                    yield f"simcore.core.{alias.name}", id(node) in top
            else:
                yield node.module, id(node) in top


def _core_graph() -> dict[str, set[str]]:
    modules = {path.stem: path for path in CORE_DIR.glob("*.py") if path.stem != "__init__"}
    graph = {}
    for name, path in modules.items():
        edges = set()
        for module, top_level in _imports(path):
            root = module.split(".")[0]
            assert root not in SHELL, f"simcore/core/{name}.py imports {module}"
            if root != "simcore":
                continue
            assert module.startswith("simcore.core"), f"simcore/core/{name}.py imports the shell: {module}"
            assert top_level, f"simcore/core/{name}.py hides an import of {module} in a function"
            target = module.split(".")[2] if module.count(".") >= 2 else None
            if target in modules and target != name:
                edges.add(target)
        graph[name] = edges
    return graph


def test_core_modules_import_downward_only():
    graph = _core_graph()
    # model.py sits below uncertainty.py (the pytrees live with the Model), leontief.py below model.py
    assert "uncertainty" not in graph["model"]
    assert "model" in graph["uncertainty"]
    assert graph["leontief"] == set()
    state: dict[str, int] = {}  # 1 on the path, 2 done

    def visit(node, path):
        state[node] = 1
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                raise AssertionError("import circle: " + " -> ".join(path + [node, nxt]))
            if nxt not in state:
                visit(nxt, path + [node])
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node, [])


def test_uncertainty_still_exports_the_pytrees():
    from simcore.core import model, uncertainty

    for name in ("Distribution", "Uncertainty", "HiddenDependence", "DAYS_PER_YEAR"):
        assert getattr(uncertainty, name) is getattr(model, name)


# ---------------------------------------------------------------- the layers above the core

SERVICE_DIR = Path(simcore.__file__).parent / "service"
RUN_DIR = Path(simcore.__file__).parent / "run"
# the layers the service may import from (issue 18 item 2): the core only through simcore.run
SERVICE_MAY_IMPORT = ("simcore.run", "simcore.schema", "simcore.analysis", "simcore.service")


def _simcore_imports(path: Path):
    """``(module, top_level, line)`` for every import of a simcore module in ``path``,
    anywhere in it (functions included); ``from simcore.x import y`` also gives
    ``simcore.x.y`` (y may be a submodule)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    top = {id(node) for node in tree.body}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
        else:
            continue
        for name in names:
            if name == "simcore" or name.startswith("simcore."):
                yield name, id(node) in top, node.lineno


def test_the_service_reaches_the_core_only_through_the_run_layer():
    found = []
    for path in sorted(SERVICE_DIR.glob("*.py")):
        for module, _, line in _simcore_imports(path):
            if module in ("simcore", "simcore.__init__"):
                continue
            if module == "simcore.core" or module.startswith("simcore.core.") or \
                    not module.startswith(SERVICE_MAY_IMPORT):
                found.append(f"simcore/service/{path.name}:{line} imports {module}")
    assert found == [], "the service imports past simcore.run:\n" + "\n".join(found)


def test_job_and_distributed_import_each_other_in_one_direction_at_module_level():
    """The job sends chunks to the cluster; a cluster task needs only simcore.run.chunks:
    no circle between them, and no simcore.run import hidden in a function to break one."""
    hidden = []
    for name in ("job", "distributed"):
        for module, top_level, line in _simcore_imports(RUN_DIR / f"{name}.py"):
            if module.startswith("simcore.run") and not top_level:
                hidden.append(f"simcore/run/{name}.py:{line} imports {module} in a function")
    assert hidden == []
    imports = {name: {module for module, _, _ in _simcore_imports(RUN_DIR / f"{name}.py")}
               for name in ("job", "distributed", "chunks")}
    assert "simcore.run.distributed" in imports["job"]
    assert "simcore.run.job" not in imports["distributed"]
    assert "simcore.run.chunks" in imports["distributed"]
    assert not {"simcore.run.job", "simcore.run.distributed"} & imports["chunks"]


def test_the_run_layer_reexports_what_the_service_needs_lazily():
    found = _run("""
        import json, sys
        import simcore.run
        loaded_jax = "jax" in sys.modules
        from simcore.run import cache_dir, enable_compilation_cache
        from simcore.core import compile_cache
        same = cache_dir is compile_cache.cache_dir and enable_compilation_cache is compile_cache.enable_compilation_cache
        from simcore.run import pad_events
        from simcore.run.padding import pad_events as defined
        from simcore.service.assess import pad_events as service
        print(json.dumps({"jax": loaded_jax, "same": same, "pad": pad_events is defined is service}))
    """)
    assert found == {"jax": False, "same": True, "pad": True}
