"""Templates generated from the schema catalogue: one header-only CSV per file and a
README.txt describing every column, its format and whether it is required."""

from __future__ import annotations

import io
import zipfile

from rosterport.domain.schemas import DataModel, FileSchema, HeaderRule


def template_csv(schema: FileSchema) -> bytes:
    """The header row of a file, CRLF-terminated like spreadsheet exports."""
    return (",".join(schema.column_names) + "\r\n").encode("utf-8")


def readme(model: DataModel) -> str:
    """Plain-text description of every file and column of a model."""
    lines = [
        f"{model.title} ({model.name})",
        "=" * (len(model.title) + len(model.name) + 3),
        "",
        model.description,
        "",
        "Save every file as 'CSV UTF-8 (Comma delimited)'. The first row is the header row.",
    ]
    if model.header_rule is HeaderRule.LOOSE:
        lines.append(
            "Header names are matched ignoring case; column order is free; optional columns "
            "may be left out."
        )
    else:
        lines.append(
            "Every column must be present, with exactly these names, in this order; extra "
            "columns go to the right and are named metadata.*."
        )
    for group in model.at_least_one_of:
        lines.append(f"At least one of {', '.join(group)} is needed.")
    for schema in model.files:
        need = "required" if schema.required else "optional"
        lines += ["", f"{schema.name} ({need}) — key: {', '.join(schema.key) or 'none'}"]
        if schema.aliases:
            lines.append(f"  also accepted as: {', '.join(schema.aliases)}")
        if schema.description:
            lines.append(f"  {schema.description}")
        for column in schema.columns:
            flag = "required" if column.required else "optional"
            fmt = column.format
            text = f"  {column.name:<24} {flag:<8} {fmt.expected}: {fmt.accepted}"
            if column.description:
                text += f" — {column.description}"
            if column.secret:
                text += " (secret: never shown back)"
            lines.append(text)
        refs = model.references_from(schema.name)
        for ref in refs:
            kind = "must" if ref.filtering else "should"
            lines.append(f"  {' + '.join(ref.columns)} {kind} name a {ref.noun} in {ref.target}")
    return "\n".join(lines) + "\n"


def templates_zip(model: DataModel) -> bytes:
    """A ZIP with one header-only CSV per file of `model` and a README.txt."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for schema in model.files:
            archive.writestr(schema.name, template_csv(schema))
        archive.writestr("README.txt", readme(model).replace("\n", "\r\n"))
    return buffer.getvalue()
