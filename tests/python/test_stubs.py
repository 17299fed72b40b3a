"""The type stubs (.pyi) describe the module as built: every public name, class attribute and
method on both sides, and help() shows the docstrings."""
import ast
import os
import pydoc

import pytest

import nercc
import nercc.plan


def stub_names(path):
    tree = ast.parse(open(path).read())
    top, classes = set(), {}
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            top.add(node.name)
            members = set()
            for item in node.body:
                if isinstance(item, ast.FunctionDef) and not item.name.startswith("_"):
                    members.add(item.name)
                elif isinstance(item, ast.AnnAssign):
                    members.add(item.target.id)
                elif isinstance(item, ast.Assign):
                    members.update(t.id for t in item.targets)
            classes[node.name] = members
        elif isinstance(node, ast.FunctionDef):
            top.add(node.name)
        elif isinstance(node, ast.AnnAssign):
            top.add(node.target.id)
        elif isinstance(node, ast.ImportFrom) and node.module is None:
            top.update(a.asname for a in node.names if a.asname)  # "import x as x": a re-export
    return {n for n in top if not n.startswith("_")}, classes


def runtime_members(cls):
    names = {n for n in dir(cls) if not n.startswith("_")}
    if hasattr(cls, "__members__"):  # pybind11 enums: their values, not the enum machinery
        return set(cls.__members__)
    return names


ALIASES = {"ArrayLike", "DTypeLike", "Ids"}


@pytest.mark.parametrize("module, stub", [(nercc, "__init__.pyi"), (nercc.plan, "plan.pyi")])
def test_stubs_match_the_module(module, stub):
    top, classes = stub_names(os.path.join(os.path.dirname(nercc.__file__), stub))
    public = {n for n in dir(module) if not n.startswith("_")}
    assert public - top == set(), "missing from the stub"
    assert (top - ALIASES) - public == set(), "in the stub only"
    for name, members in classes.items():
        if issubclass(getattr(module, name), BaseException):
            continue  # error_id is set on the instances
        runtime = runtime_members(getattr(module, name))
        assert members == runtime, name


def test_help_reads_well():
    text = pydoc.render_doc(nercc.Encoder, renderer=pydoc.plaintext)
    assert "Encoder(scheme, params, dtype=numpy.float64)" in text
    assert "encode(queries, out=None) -> coded" in text and "encode_with_order" in text
    assert "C-contiguous" in text
    assert "K: queries per group" in (nercc.CodeParams.num_queries.__doc__ or "")
    for obj in (nercc.Decoder.decode, nercc.SmoothingSpline, nercc.tune_lambdas, nercc.plan.plan):
        assert obj.__doc__ and len(obj.__doc__) > 40
