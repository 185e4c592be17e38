"""Which keys a Kubernetes custom resource may hold, read from @kubernetes-models' TypeScript types.

@kubernetes-models/istio generates its types and validators from Istio's own CRD schemas. Its
validators check types, enums and required fields but let unknown keys through, so a misspelt
field (`mirrorPercentge`) would pass; the interface in the .d.ts lists every key the schema
defines, nested as the schema nests them, which is what this reads.
"""

import re

KEY = re.compile(r'"([^"]+)"\??:\s*(.*)$')


def key_tree(declarations: str) -> dict:
    """The first interface's keys: key -> nested tree, None for a leaf; "*" for a map's keys."""
    body = declarations[declarations.index("export interface"):]
    root: dict = {}
    stack = [root]
    for raw in body.splitlines()[1:]:
        line = raw.strip()
        if not line or line.startswith(("/**", "*", "*/")):
            continue
        opened = line.count("{") - line.count("}")
        match = KEY.match(line)
        if match:
            if opened > 0:  # an object, or an Array<{ ... }>: its keys follow
                child = stack[-1].get(match.group(1)) or {}
                stack[-1][match.group(1)] = child
                stack.extend([child] * opened)
            else:
                stack[-1].setdefault(match.group(1), None)
            continue
        if line.startswith("[key: string]"):
            stack[-1]["*"] = None
        if opened < 0:
            del stack[opened:]
            if not stack:
                break
        elif opened > 0:  # another shape of the same object (a oneOf): same keys, same node
            stack.extend([stack[-1]] * opened)
    return root


def unknown_keys(document, tree: dict, path: str = "") -> list[str]:
    """Paths of the keys in `document` that the schema does not define."""
    found = []
    if isinstance(document, list):
        for index, item in enumerate(document):
            found += unknown_keys(item, tree, f"{path}[{index}]")
    elif isinstance(document, dict) and "*" not in tree:
        for key, value in document.items():
            if key not in tree:
                found.append(f"{path}.{key}")
            elif isinstance(tree[key], dict):
                found += unknown_keys(value, tree[key], f"{path}.{key}")
    return found
