"""The pages made from the code when the site is built, never typed twice.

- ``{api-reference}``: every operation and schema of the OpenAPI document the app
  serves at /api/openapi.json (an app made with ``create_app``, asked through its
  test client, so the page shows exactly what a client gets).
- ``{dataset-table}``: the data sets of ``GET /api/datasets``, with their parameters.
- ``{settings-table}``: the table of ``app/settings.py``'s declaration.
- ``{bench-results}``: the runs the benchmarks wrote to ``bench/results/*.json``.
- ``{stepper-embed}``: the embed framed in this page, and the snippet that frames it,
  from one string; its address is ``DOCS_APP_URL`` (default
  http://127.0.0.1:5000), so a site built against a class's server frames that one.
"""

import html
import json
import os
from pathlib import Path

from docutils import nodes
from docutils.parsers.rst import directives
from myst_parser.parsers.sphinx_ import MystParser
from sphinx.util.docutils import SphinxDirective, new_document

REPO = Path(__file__).resolve().parents[2]
RESULTS = REPO / "bench" / "results"
APP_URL = "DOCS_APP_URL"  # not KMEANS_*: the app names those it does not know as misspelt
DEFAULT_APP_URL = "http://127.0.0.1:5000"


class MarkdownDirective(SphinxDirective):
    """A directive whose content is Markdown written at build time; its headings, from
    ``#`` down, nest under the heading the directive stands under."""

    def markdown(self):
        raise NotImplementedError

    def run(self):
        # Parsed as a document of its own and handed back whole: a parse nested in the
        # page would put its sections straight into the page's tree, and what comes
        # before them after them.
        document = new_document(self.get_source_info()[0], self.state.document.settings)
        MystParser().parse(self.markdown(), document)
        for name, explicit in document.nametypes.items():  # its labels, for {ref} elsewhere
            if explicit:
                target = document.ids[document.nameids[name]]
                self.state.document.note_explicit_target(target, target)
        return document.children


# --- the API reference ---------------------------------------------------------------

def served(path):
    """An answer of the app, made with its default settings, as JSON."""
    from app import create_app  # the app only when a page asks for it

    answer = create_app({"PREPARE_AT_START": False}).test_client().get(path)
    assert answer.status_code == 200, (path, answer.status_code)
    return answer.get_json()


def one_line(text):
    return " ".join(str(text or "").split()).replace("|", "\\|")


def schema_link(ref):
    name = ref.rsplit("/", 1)[-1]
    return f"{{ref}}`{name} <schema-{name.lower()}>`"


def type_of(schema):
    """A schema in a few words: its type, its range or values, links to named schemas."""
    if not schema:
        return "any"
    if "$ref" in schema:
        return schema_link(schema["$ref"])
    for key in ("anyOf", "oneOf", "allOf"):
        if key in schema:
            return " or ".join(type_of(part) for part in schema[key])
    if "enum" in schema:
        return "one of " + ", ".join(f"`{json.dumps(value)}`" for value in schema["enum"])
    if "const" in schema:
        return f"`{json.dumps(schema['const'])}`"
    kind = schema.get("type", "object")
    if isinstance(kind, list):
        kind = " or ".join(kind)
    if kind == "array":
        kind = f"array of {type_of(schema.get('items'))}"
    if kind == "object" and schema.get("properties"):  # a body declared in place, not named
        kind = "object {" + ", ".join(f"`{name}`: {type_of(spec)}"
                                      for name, spec in schema["properties"].items()) + "}"
    bounds = [f"{word} {schema[key]}" for key, word in (
        ("minimum", "≥"), ("exclusiveMinimum", ">"), ("maximum", "≤"), ("exclusiveMaximum", "<"),
        ("minItems", "items ≥"), ("maxItems", "items ≤"), ("maxLength", "length ≤"))
        if key in schema]
    if "pattern" in schema:
        bounds.append(f"pattern `{schema['pattern']}`")
    return kind + (f" ({', '.join(bounds)})" if bounds else "")


def body_schema(part):
    """The schema of a request body or an answer: JSON's, else the first content type's."""
    content = part.get("content") or {}
    for media in ("application/json", *content):
        if media in content:
            return media, content[media].get("schema")
    return None, None


def operation_markdown(path, method, operation):
    lines = [f"## `{method.upper()} {path}`", "", one_line(operation.get("summary")), ""]
    description = operation.get("description")
    if description and description != operation.get("summary"):
        lines += [description.strip(), ""]
    parameters = operation.get("parameters") or []
    if parameters:
        lines += ["| parameter | in | required | type | what |", "| --- | --- | --- | --- | --- |"]
        lines += [f"| `{p['name']}` | {p['in']} | {'yes' if p.get('required') else 'no'} | "
                  f"{one_line(type_of(p.get('schema')))} | {one_line(p.get('description'))} |"
                  for p in parameters]
        lines.append("")
    if "requestBody" in operation:
        media, schema = body_schema(operation["requestBody"])
        needed = "required" if operation["requestBody"].get("required") else "optional"
        lines += [f"Body ({needed}, `{media}`): {type_of(schema)}", ""]
    lines += ["| status | what | answer |", "| --- | --- | --- |"]
    for status, answer in operation.get("responses", {}).items():
        media, schema = body_schema(answer)
        shown = f"`{media}`: {type_of(schema)}" if media else ""
        lines.append(f"| {status} | {one_line(answer.get('description'))} | {one_line(shown)} |")
    return lines + [""]


def schema_markdown(name, schema):
    lines = [f"(schema-{name.lower()})=", f"## {name}", ""]
    if schema.get("description"):
        lines += [one_line(schema["description"]), ""]
    properties = schema.get("properties")
    if properties:
        required = set(schema.get("required", ()))
        lines += ["| field | type | required | what |", "| --- | --- | --- | --- |"]
        lines += [f"| `{field}` | {one_line(type_of(spec))} | {'yes' if field in required else 'no'}"
                  f" | {one_line(spec.get('description') or spec.get('title', ''))} |"
                  for field, spec in properties.items()]
    else:
        lines.append(f"Type: {type_of(schema)}")
    return lines + [""]


class ApiReference(MarkdownDirective):
    """Every operation of the served OpenAPI document, then every schema it names."""

    def markdown(self):
        document = served("/api/openapi.json")
        info = document["info"]
        lines = [f"OpenAPI {document['openapi']}, *{info['title']}* {info['version']}: "
                 f"{one_line(info.get('description'))}", "", "# Operations", ""]
        for path, operations in document["paths"].items():
            for method, operation in operations.items():
                lines += operation_markdown(path, method, operation)
        lines += ["# Schemas", ""]
        for name, schema in document.get("components", {}).get("schemas", {}).items():
            lines += schema_markdown(name, schema)
        return "\n".join(lines)


# --- the data sets ------------------------------------------------------------------

def parameter_text(name, spec):
    default = json.dumps(spec.get("default"))
    bounds = [str(spec[key]) for key in ("minimum", "maximum") if spec.get(key) is not None]
    range_ = f", {' to '.join(bounds)}" if len(bounds) == 2 else ""
    return f"`{name}` ({default}{range_}{', or null' if spec.get('nullable') else ''})"


class DatasetTable(MarkdownDirective):
    """Every data set of ``GET /api/datasets``: its words and its parameters' defaults."""

    def markdown(self):
        rows = ["| name | what | parameters (default, range) |", "| --- | --- | --- |"]
        for dataset in served("/api/datasets")["datasets"]:
            parameters = ", ".join(parameter_text(name, spec)
                                   for name, spec in dataset["params"].items())
            rows.append(f"| `{dataset['name']}` | **{one_line(dataset['title'])}**: "
                        f"{one_line(dataset['description'])} | {parameters or '—'} |")
        return "\n".join(rows)


# --- the settings -------------------------------------------------------------------

class SettingsTable(MarkdownDirective):
    """The settings as ``app/settings.py`` declares them."""

    def markdown(self):
        from app import settings

        self.env.note_dependency(settings.__file__)
        return settings.table()


# --- the benchmarks' results ----------------------------------------------------------

def figure(value):
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, list):
        return ", ".join(figure(v) for v in value)
    return str(value)


def run_row(run):
    load = run.get("load")
    load = figure(load) if load is not None else "not recorded"
    commit = f"`{run['commit']}`" if run.get("commit") else ""
    result = run["summary"] + (f" ({run['note']})" if run.get("note") else "")
    return (f"| {run.get('date') or 'not recorded'} | {commit} | {one_line(load)} | "
            f"{one_line(run.get('source', 'measured'))} | {one_line(result)} |")


class BenchResults(MarkdownDirective):
    """Each benchmark's target, command and latest run, then every run it recorded."""

    def markdown(self):
        paths = sorted(RESULTS.glob("*.json"))
        for path in paths:
            self.env.note_dependency(str(path))
        results = [json.loads(path.read_text()) for path in paths]
        if not results:
            raise self.error(f"no results in {RESULTS}")
        lines = ["| benchmark | target | latest run | met |", "| --- | --- | --- | --- |"]
        for result in results:
            latest = result["runs"][-1]
            lines.append(f"| [{result['title']}](#bench-{result['name']}) | "
                         f"{one_line(result['target'])} | {latest.get('date') or 'not recorded'}: "
                         f"{one_line(latest['summary'])} | {latest.get('met', '?')} |")
        lines.append("")
        for result in results:
            lines += [f"(bench-{result['name']})=", f"# {result['title']}", "",
                      f"`{result['command']}` (results: `bench/results/{result['name']}.json`)",
                      "", one_line(result["what"]), "", f"Target: {one_line(result['target'])}.",
                      "", "| date | commit | load | source | result |",
                      "| --- | --- | --- | --- | --- |"]
            lines += [run_row(run) for run in reversed(result["runs"])]
            lines.append("")
        return "\n".join(lines)


# --- the embed, framed ----------------------------------------------------------------

class StepperEmbed(SphinxDirective):
    """The snippet the Embed button gives, shown, and the same snippet framing the stepper."""

    required_arguments = 1  # the embed's query, e.g. ?dataset=mouse&k=3
    option_spec = {"title": directives.unchanged_required}

    def run(self):
        address = os.environ.get(APP_URL, DEFAULT_APP_URL).rstrip("/")
        source = html.escape(f"{address}/embed{self.arguments[0]}")
        title = html.escape(self.options.get("title", "K-Means Stepper"))
        snippet = (f'<iframe src="{source}"\n        title="{title}" width="720" height="520" '
                   'loading="lazy"\n        style="border: 0; max-width: 100%;"></iframe>')
        shown = nodes.literal_block(snippet, snippet, language="html")
        framed = nodes.raw("", snippet, format="html")
        return [shown, framed]


def setup(app):
    app.add_directive("api-reference", ApiReference)
    app.add_directive("dataset-table", DatasetTable)
    app.add_directive("settings-table", SettingsTable)
    app.add_directive("bench-results", BenchResults)
    app.add_directive("stepper-embed", StepperEmbed)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
