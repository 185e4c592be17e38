"""Perspective's two methods described in Google's discovery format, so that Google's
discovery-based clients (google-api-python-client's discovery.build, Node's
googleapis.discoverAPI) build a client for this service as they do for Google's.

The root URL is the one the request came to (behind a proxy, the proxy's, when the UI is
configured to trust its X-Forwarded-* headers: Settings.proxy_hops).
"""

from .perspective_request import ATTRIBUTES

VERSION = "v1alpha1"


def _string(description: str) -> dict:
    return {"type": "string", "description": description}


def _object(name: str, description: str, properties: dict) -> dict:
    return {"id": name, "type": "object", "description": description, "properties": properties}


SCORE_TYPE = {"type": "string", "enum": ["SCORE_TYPE_UNSPECIFIED", "PROBABILITY"],
              "enumDescriptions": ["Defaults to PROBABILITY.", "A probability in [0, 1]."]}
ATTRIBUTE_NAMES = ", ".join(ATTRIBUTES)

SCHEMAS = {
    "TextEntry": _object("TextEntry", "A text and its type.", {
        "text": _string("The text (UTF-8)."),
        "type": {"type": "string", "enum": ["TEXT_TYPE_UNSPECIFIED", "PLAIN_TEXT", "HTML"],
                 "enumDescriptions": ["Plain text.", "Plain text.", "Refused: only plain text is scored."],
                 "description": "PLAIN_TEXT (the default); HTML is refused."}}),
    "Context": _object("Context", "What the comment answers; accepted and not used.", {
        "entries": {"type": "array", "items": {"$ref": "TextEntry"}},
        "articleAndParentComment": {"type": "object", "additionalProperties": {"type": "any"}}}),
    "AttributeParameters": _object("AttributeParameters", "How to score one attribute.", {
        "scoreType": {**SCORE_TYPE, "description": "Only PROBABILITY."},
        "scoreThreshold": {"type": "number", "format": "float",
                           "description": "Scores below this are left out of the answer."}}),
    "AnalyzeCommentRequest": _object("AnalyzeCommentRequest", "A comment to score.", {
        "comment": {"$ref": "TextEntry"},
        "context": {"$ref": "Context"},
        "requestedAttributes": {"type": "object", "additionalProperties": {"$ref": "AttributeParameters"},
                                "description": f"The attributes to score: {ATTRIBUTE_NAMES}."},
        "spanAnnotations": {"type": "boolean", "description": "Also score each sentence."},
        "languages": {"type": "array", "items": {"type": "string"},
                      "description": "The comment's languages; only English is supported. Unset: detected."},
        "doNotStore": {"type": "boolean", "description": "Write the comment nowhere (no log, no sample)."},
        "dropUnsupportedAttributes": {"type": "boolean",
                                      "description": "Answer no scores instead of an error for another language."},
        "clientToken": _string("Echoed in the answer."),
        "sessionId": _string("Accepted, not used."),
        "communityId": _string("Accepted, not used.")}),
    "Score": _object("Score", "A score and its type.", {
        "value": {"type": "number", "format": "float"}, "type": SCORE_TYPE}),
    "SpanScore": _object("SpanScore", "The score of one sentence.", {
        "begin": {"type": "integer", "format": "int32", "description": "First character of the sentence."},
        "end": {"type": "integer", "format": "int32", "description": "One past its last character."},
        "score": {"$ref": "Score"}}),
    "AttributeScores": _object("AttributeScores", "The scores of one attribute.", {
        "summaryScore": {"$ref": "Score"},
        "spanScores": {"type": "array", "items": {"$ref": "SpanScore"}}}),
    "AnalyzeCommentResponse": _object("AnalyzeCommentResponse", "The scores of a comment.", {
        "attributeScores": {"type": "object", "additionalProperties": {"$ref": "AttributeScores"}},
        "languages": {"type": "array", "items": {"type": "string"}},
        "detectedLanguages": {"type": "array", "items": {"type": "string"}},
        "clientToken": _string("The request's clientToken.")}),
    "SuggestCommentScoreRequest": _object("SuggestCommentScoreRequest", "The scores a comment should have.", {
        "comment": {"$ref": "TextEntry"},
        "context": {"$ref": "Context"},
        "attributeScores": {"type": "object", "additionalProperties": {"$ref": "AttributeScores"}},
        "languages": {"type": "array", "items": {"type": "string"}},
        "communityId": _string("The community whose norms the suggestion follows."),
        "clientToken": _string("Echoed in the answer."),
        "sessionId": _string("Kept with the suggestion.")}),
    "SuggestCommentScoreResponse": _object("SuggestCommentScoreResponse", "The suggestion was kept.", {
        "clientToken": _string("The request's clientToken.")}),
}

PARAMETERS = {
    "key": {"type": "string", "location": "query", "description": "API key (or the x-goog-api-key header)."},
    "alt": {"type": "string", "location": "query", "default": "json", "enum": ["json"],
            "enumDescriptions": ["JSON answers."], "description": "Data format for the response."},
    "prettyPrint": {"type": "boolean", "location": "query", "default": "true",
                    "description": "Accepted; answers are compact JSON."},
    "fields": {"type": "string", "location": "query", "description": "Accepted; the whole answer is sent."},
    "quotaUser": {"type": "string", "location": "query", "description": "Accepted, not used."},
}


def _method(name: str, description: str, request: str, response: str) -> dict:
    return {"id": f"commentanalyzer.comments.{name}", "path": f"{VERSION}/comments:{name}",
            "flatPath": f"{VERSION}/comments:{name}", "httpMethod": "POST", "description": description,
            "parameters": {}, "parameterOrder": [], "request": {"$ref": request}, "response": {"$ref": response}}


def discovery_document(root_url: str, service_version: str) -> dict:
    """root_url: where this service answers, ending in '/'."""
    return {
        "kind": "discovery#restDescription", "discoveryVersion": "v1", "protocol": "rest",
        "id": f"commentanalyzer:{VERSION}", "name": "commentanalyzer", "version": VERSION,
        "revision": service_version, "title": "Toxicity Monitor (Perspective-compatible Comment Analyzer)",
        "description": "Perspective's comments:analyze and comments:suggestscore, scored by toxic-bert.",
        "documentationLink": f"{root_url}docs/perspective.md",
        "rootUrl": root_url, "servicePath": "", "baseUrl": root_url, "basePath": "", "batchPath": "batch",
        "parameters": PARAMETERS,
        "schemas": SCHEMAS,
        "resources": {"comments": {"methods": {
            "analyze": _method("analyze", "Scores a comment for the requested attributes.",
                               "AnalyzeCommentRequest", "AnalyzeCommentResponse"),
            "suggestscore": _method("suggestscore", "Keeps the scores a comment should have, as feedback.",
                                    "SuggestCommentScoreRequest", "SuggestCommentScoreResponse"),
        }}},
    }
