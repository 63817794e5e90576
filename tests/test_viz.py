"""viz.to_dot's structure for known small graphs (nodes, edges, labels),
viz.draw with and without Graphviz's `dot`, and viz.Graph, the picture a
notebook shows inline (with a stand-in `dot`, and with the real one where
it is installed)."""

import os
import re
import shutil
import sys

import numpy as np
import pytest

from tinygrad_edu import Value, viz

NODE = re.compile(r'^\s*(\w+) \[label="(.*)"\];$')
EDGE = re.compile(r"^\s*(\w+) -> (\w+);$")


def unescape(text):
    return re.sub(r"\\(.)", r"\1", text)


def parse_dot(source):
    """(nodes, edges): node id -> list of the record's fields (unescaped), and the list of (from, to) ids."""
    lines = source.strip().splitlines()
    assert lines[0] == "digraph tinygrad_edu {" and lines[-1] == "}"
    nodes, edges = {}, []
    for line in lines[1:-1]:
        if (match := NODE.match(line)):
            label = match.group(2)
            assert label.startswith("{") and label.endswith("}")
            fields = re.split(r"(?<!\\)\|", label[1:-1])  # split on the | that are not escaped
            assert match.group(1) not in nodes
            nodes[match.group(1)] = [unescape(f) for f in fields]
        elif (match := EDGE.match(line)):
            edges.append(match.groups())
    return nodes, edges


def by_title(nodes, edges):
    """Node fields by title (first field), and the edges as sorted (from title, to title) pairs."""
    titles = {node: fields[0] for node, fields in nodes.items()}
    assert len(set(titles.values())) == len(titles), "titles in these test graphs are unique"
    return ({fields[0]: fields for fields in nodes.values()},
            sorted((titles[a], titles[b]) for a, b in edges))


def small_graph():
    """loss = sum(tanh(x @ w) * 3): six Values, one constant."""
    x = Value(np.array([[1.0, 2.0, 0.5], [-1.0, 0.0, 1.5]]), name="x")
    w = Value(np.array([0.2, -0.1, 0.4]), name="w")
    h = x @ w
    y = h.tanh()
    z = y * 3.0
    loss = z.sum()
    return x, w, h, y, z, loss


def test_to_dot_structure_of_a_known_graph():
    """One node per Value with its op name (or leaf name) and shape; one edge per argument, argument -> result."""
    *_, loss = small_graph()
    nodes, edges = parse_dot(viz.to_dot(loss))
    assert len(nodes) == 6
    fields, named_edges = by_title(nodes, edges)
    sum_title = next(t for t in fields if t.startswith("sum"))
    assert set(fields) == {"x", "w", "matmul", "tanh", "mul (3.0)", sum_title}
    assert named_edges == sorted([("x", "matmul"), ("w", "matmul"), ("matmul", "tanh"),
                                  ("tanh", "mul (3.0)"), ("mul (3.0)", sum_title)])
    shapes = {title: f[1] for title, f in fields.items()}
    assert shapes == {"x": "shape (2, 3)", "w": "shape (3,)", "matmul": "shape (2,)", "tanh": "shape (2,)",
                      "mul (3.0)": "shape (2,)", sum_title: "shape ()"}
    assert all(len(f) == 2 for f in fields.values())  # no data/grad rows before backward


def parse_summary(text):
    """The numbers of a data/grad row: a short array '[a b c]' or 'mean m min lo max hi'."""
    numbers = [float(v) for v in re.findall(r"-?\d+(?:\.\d*)?(?:e[-+]?\d+)?", text)]
    return numbers


def test_to_dot_after_backward_shows_data_and_gradient():
    """After backward each box adds 'data ...' and 'grad ...' rows whose numbers match the Values (to 4 digits)."""
    x, w, h, y, z, loss = small_graph()
    loss.backward()
    nodes, edges = parse_dot(viz.to_dot(loss))
    fields, _ = by_title(nodes, edges)
    for title, value in [("w", w), ("matmul", h), ("tanh", y), ("mul (3.0)", z)]:
        data_row, grad_row = fields[title][2], fields[title][3]
        assert data_row.startswith("data ") and grad_row.startswith("grad ")
        np.testing.assert_allclose(parse_summary(data_row), value.data.ravel(), rtol=1e-3, atol=1e-4)
        np.testing.assert_allclose(parse_summary(grad_row), value.grad.ravel(), rtol=1e-3, atol=1e-4)
    # x has 6 elements: summarized as mean, min and max.
    data_row, grad_row = fields["x"][2], fields["x"][3]
    assert data_row.startswith("data mean") and "min" in data_row and "max" in data_row
    g = x.grad
    np.testing.assert_allclose(parse_summary(grad_row), [g.mean(), g.min(), g.max()], rtol=1e-3, atol=1e-4)


def test_to_dot_value_used_twice_is_one_node():
    """A Value feeding two operations is drawn once, with an edge to each of them."""
    a = Value(np.array([0.5, -0.5]), name="a")
    b = a.exp()
    c = a.tanh()
    out = b + c
    nodes, edges = parse_dot(viz.to_dot(out))
    assert len(nodes) == 4
    _, named = by_title(nodes, edges)
    assert named == sorted([("a", "exp"), ("a", "tanh"), ("exp", "add"), ("tanh", "add")])


def test_to_dot_one_edge_per_argument():
    """x * x has two arguments that are the same Value: two edges from one node."""
    x = Value(2.0, name="x")
    nodes, edges = parse_dot(viz.to_dot(x * x))
    assert len(nodes) == 2
    _, named = by_title(nodes, edges)
    assert named == [("x", "mul"), ("x", "mul")]


def test_to_dot_constant_values_are_nodes_and_named_results_show_their_op():
    """A Value that needs no gradient is still a node; a named result reads 'name = op'."""
    x = Value(np.ones(2), name="x")
    c = Value(np.array([1.0, 2.0]), requires_grad=False, name="c")
    out = x * c
    out.name = "product"
    nodes, edges = parse_dot(viz.to_dot(out))
    fields, named = by_title(nodes, edges)
    assert set(fields) == {"x", "c", "product = mul"}
    assert named == sorted([("x", "product = mul"), ("c", "product = mul")])


def test_to_dot_escapes_record_characters():
    """Names with | { } < > and quotes are escaped, so the record keeps its fields."""
    x = Value(1.0, name='a|b {c} <d> "e"')
    nodes, _ = parse_dot(viz.to_dot(x.exp()))
    fields = [f for f in nodes.values() if f[0] != "exp"][0]
    assert fields == ['a|b {c} <d> "e"', "shape ()"]


def test_to_dot_of_a_deep_chain():
    """A chain of 2000 operations (no recursion limit) gives 2001 nodes and 2000 edges."""
    x = Value(0.1)
    y = x
    for _ in range(2000):
        y = y * 1.0001
    nodes, edges = parse_dot(viz.to_dot(y))
    assert len(nodes) == 2001 and len(edges) == 2000


def test_to_dot_is_deterministic_and_rankdir_is_used():
    """Two separately built copies of a graph give the same text (nothing depends on object ids or set
    order); rankdir is passed through, TB by default."""
    first, second = small_graph()[-1], small_graph()[-1]
    assert viz.to_dot(first) == viz.to_dot(second)
    assert "rankdir=TB;" in viz.to_dot(first)
    left_to_right = viz.to_dot(first, rankdir="LR")
    assert "rankdir=LR;" in left_to_right and "rankdir=TB" not in left_to_right


# ---------------------------------------------------------------------- draw


@pytest.mark.parametrize("suffix, signature", [(".svg", b"<svg"), (".png", b"\x89PNG\r\n\x1a\n")])
def test_draw_writes_svg_and_png_with_dot(tmp_path, suffix, signature):
    """With Graphviz installed, draw writes the file (an SVG with every node, or a PNG) and returns True."""
    if shutil.which("dot") is None:
        pytest.skip("Graphviz's `dot` is not installed (apt install graphviz), so draw cannot be run")
    *_, loss = small_graph()
    path = tmp_path / f"graph{suffix}"
    assert viz.draw(loss, path) is True
    content = path.read_bytes()
    if suffix == ".png":
        assert content.startswith(signature) and len(content) > 1000
    else:
        assert signature in content
        assert content.count(b'class="node"') == 6 and content.count(b'class="edge"') == 5


def test_draw_without_dot_prints_how_to_install_and_returns_false(tmp_path, monkeypatch, capsys):
    """Without `dot`: one printed line saying how to install Graphviz, False, and no file."""
    monkeypatch.setattr(shutil, "which", lambda name, *args, **kwargs: None)
    *_, loss = small_graph()
    path = tmp_path / "graph.svg"
    assert viz.draw(loss, path) is False
    captured = capsys.readouterr()
    text = (captured.out + captured.err).strip()
    assert len(text.splitlines()) == 1
    assert "install" in text and "graphviz" in text.lower() and "dot" in text
    assert not path.exists()


@pytest.mark.parametrize("name", ["graph.jpg", "graph", "graph.dot", "graph.svg.txt"])
def test_draw_rejects_other_suffixes(tmp_path, name):
    """Only .svg and .png are drawn; anything else is a ValueError naming the path, and no file is written."""
    *_, loss = small_graph()
    with pytest.raises(ValueError, match=re.escape(name)):
        viz.draw(loss, tmp_path / name)
    assert not (tmp_path / name).exists()


def test_to_dot_keeps_line_breaks_and_shows_plain_numbers():
    """A name's line break is drawn as a line break (Graphviz drops raw ones), a tab as a space, and a numpy
    scalar constant reads 3.0, not np.float64(3.0)."""
    x = Value(1.0, name="line1\nline2\tend")
    source = viz.to_dot(x * np.float64(3.0))
    [node] = [line for line in source.splitlines() if "line1" in line]  # one line: no raw line break in it
    assert "line1\\nline2 end" in node
    assert "mul (3.0)" in source and "np.float64" not in source


def test_to_dot_and_draw_refuse_what_they_cannot_draw(tmp_path):
    """A root that is not a Value, a rankdir Graphviz does not know (which would be pasted into the source),
    and a folder that does not exist are errors before anything is drawn."""
    *_, loss = small_graph()
    with pytest.raises(TypeError, match="to_dot: root must be a Value, got ndarray"):
        viz.to_dot(np.ones(2))
    with pytest.raises(ValueError, match="to_dot: rankdir must be one of"):
        viz.to_dot(loss, rankdir="LR; bgcolor=red")
    with pytest.raises(FileNotFoundError, match="draw: the folder .* does not exist"):
        viz.draw(loss, tmp_path / "missing" / "graph.svg")
    assert list(tmp_path.iterdir()) == []


# ---------------------------------------------------------------------- Graph: the picture inline in a notebook

FAKE_DOT = r'''#!{python}
"""A stand-in for Graphviz's dot: logs each call, and draws an 'SVG' that counts the nodes it was given."""
import sys
source = sys.stdin.read()
with open({log!r}, "a") as log:
    log.write(" ".join(sys.argv[1:]) + "\n")
if {fail!r}:
    sys.stderr.write("Error: syntax error in line 1\n")
    sys.exit(1)
picture = ('<?xml version="1.0" encoding="UTF-8" standalone="no"?>\n<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN"'
           ' "http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd">\n'
           '<svg><!-- %d nodes, %d characters --></svg>\n' % (source.count("[label="), len(source)))
if "-o" in sys.argv:
    with open(sys.argv[sys.argv.index("-o") + 1], "w") as out:
        out.write(picture)
else:
    sys.stdout.write(picture)
'''


@pytest.fixture
def fake_dot(tmp_path, monkeypatch):
    """Put a fake `dot` first on PATH; returns (the file its calls are logged to, a function to make it fail)."""
    folder = tmp_path / "bin"
    folder.mkdir()
    log = tmp_path / "dot_calls.txt"

    def install(fail=False):
        script = folder / "dot"
        script.write_text(FAKE_DOT.format(python=sys.executable, log=str(log), fail=fail))
        script.chmod(0o755)

    install()
    monkeypatch.setenv("PATH", str(folder) + os.pathsep + os.environ.get("PATH", ""))
    return log, install


def without_dot(monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name, *args, **kwargs: None)


def test_graph_without_dot_says_in_one_line_how_to_get_graphviz(monkeypatch):
    """No `dot`: _repr_svg_ is None (so a notebook shows no broken picture), and the Markdown and the repr
    are one line saying how to install Graphviz, with the length of the DOT source, which is in .source."""
    without_dot(monkeypatch)
    *_, loss = small_graph()
    graph = viz.Graph(loss)
    assert graph.source == viz.to_dot(loss)
    assert graph._repr_svg_() is None and graph.svg() is None
    hint = graph._repr_markdown_()
    assert hint == repr(graph)
    assert len(hint.splitlines()) == 1
    assert "install" in hint and "graphviz" in hint.lower() and "`dot`" in hint
    assert f"{len(graph.source)} characters" in hint and "6 Values" in hint


def test_graph_with_dot_gives_the_svg_and_no_markdown(fake_dot):
    """With `dot`: _repr_svg_ is dot's SVG from the <svg> element on (no XML prolog), made from the whole
    DOT source and only once; _repr_markdown_ steps aside (JupyterLab would prefer it to the picture)."""
    log, _ = fake_dot
    *_, loss = small_graph()
    graph = viz.Graph(loss)
    svg = graph._repr_svg_()
    assert svg == f"<svg><!-- 6 nodes, {len(graph.source)} characters --></svg>\n"
    assert graph._repr_svg_() is svg
    assert log.read_text().splitlines() == ["-Tsvg"]
    assert graph._repr_markdown_() is None
    assert repr(graph).startswith("Graph of 6 Values") and "picture" in repr(graph)


def test_graph_in_ipython_display_picks_svg_or_the_hint(fake_dot, monkeypatch):
    """What IPython puts in a notebook's output: the SVG (and text) with dot, the Markdown hint without."""
    formatters = pytest.importorskip("IPython.core.formatters", reason="IPython is not installed")
    *_, loss = small_graph()
    data, _ = formatters.DisplayFormatter().format(viz.Graph(loss))
    assert "image/svg+xml" in data and "text/markdown" not in data
    without_dot(monkeypatch)
    data, _ = formatters.DisplayFormatter().format(viz.Graph(loss))
    assert "image/svg+xml" not in data and "install" in data["text/markdown"]


def test_graph_reports_dot_failing(fake_dot):
    """dot exiting with an error is a RuntimeError carrying dot's message, not an empty picture."""
    _, install = fake_dot
    install(fail=True)
    *_, loss = small_graph()
    with pytest.raises(RuntimeError, match="Graph: Graphviz's dot failed .* syntax error in line 1"):
        viz.Graph(loss).svg()


def test_graph_save_writes_a_file_or_prints_the_hint(fake_dot, tmp_path, monkeypatch, capsys):
    """save(path) has dot write the file (True); without dot, the one-line hint and False; bad names refused."""
    *_, loss = small_graph()
    graph = viz.Graph(loss)
    path = tmp_path / "graph.svg"
    assert graph.save(path) is True
    assert path.read_text().startswith("<?xml") and "6 nodes" in path.read_text()
    with pytest.raises(ValueError, match=r"Graph.save: the file name must end in .svg or .png"):
        graph.save(tmp_path / "graph.pdf")
    without_dot(monkeypatch)
    assert graph.save(tmp_path / "other.svg") is False
    assert "Graph.save: Graphviz's `dot` program is not installed" in capsys.readouterr().err
    assert not (tmp_path / "other.svg").exists()


def test_graph_is_a_picture_of_the_moment_it_was_made():
    """A Graph made before backward() shows no gradients; one made after shows them."""
    *_, loss = small_graph()
    before = viz.Graph(loss)
    loss.backward()
    after = viz.Graph(loss)
    assert "grad " not in before.source and "grad " in after.source


def test_graph_real_dot_draws_every_node():
    """With Graphviz really installed, the SVG has one node per Value and one edge per argument."""
    if shutil.which("dot") is None:
        pytest.skip("Graphviz's `dot` is not installed (apt install graphviz), so Graph cannot draw")
    *_, loss = small_graph()
    svg = viz.Graph(loss)._repr_svg_()
    assert svg.startswith("<svg") and svg.count('class="node"') == 6 and svg.count('class="edge"') == 5


def test_a_model_names_the_parameters_in_pictures():
    """to_dot(root, model=...) and Graph(root, model) title a parameter's box by its named_parameters() name."""
    from tinygrad_edu import nn

    model = nn.Sequential(nn.Linear(2, 1), nn.Sigmoid())
    loss = model(np.array([[1.0, 2.0]])).sum()
    nodes, edges = parse_dot(viz.to_dot(loss, model=model))
    titles = {fields[0] for fields in nodes.values()}
    assert {"0.weight", "0.bias"} <= titles and "weight" not in titles
    assert viz.Graph(loss, model).source == viz.to_dot(loss, model=model)
    with pytest.raises(TypeError, match="to_dot: model must be a Module"):
        viz.Graph(loss, model=5)
    with pytest.raises(TypeError, match="to_dot: root must be a Value, got list"):
        viz.Graph([loss])
