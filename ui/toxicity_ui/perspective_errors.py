"""Errors in Google's JSON error model, as Perspective's clients read them:
{"error": {"code": 400, "message": "...", "status": "INVALID_ARGUMENT", "details": [...]}}.

The checks are the native API's (one path, two envelopes): an ApiError of any code becomes
Google's shape here, with Perspective's `errorType` where Perspective has one. Every input
error is a 400, as Perspective answers them (clients branch on 400 and on errorType).
"""

from .errors import ApiError

PERSPECTIVE_ERROR = "type.googleapis.com/google.commentanalyzer.v1alpha1.Error"
ERROR_INFO = "type.googleapis.com/google.rpc.ErrorInfo"
SERVICE = "commentanalyzer.googleapis.com"

# The native code -> Perspective's errorType (limits.md); other input errors are INVALID_REQUEST.
ERROR_TYPES = {
    "empty_text": "COMMENT_EMPTY",
    "text_too_long": "COMMENT_TOO_LONG",
    "body_too_large": "COMMENT_TOO_LONG",
    "no_requested_attributes": "NO_REQUESTED_ATTRIBUTES",
    "unsupported_language": "LANGUAGE_NOT_SUPPORTED_BY_ATTRIBUTE",
    "language_detection_failed": "LANGUAGE_DETECTION_FAILED",
}
# Google's ErrorInfo reasons for the key and quota refusals.
REASONS = {"invalid_api_key": "API_KEY_INVALID", "missing_api_key": "API_KEY_MISSING",
           "quota_exceeded": "RATE_LIMIT_EXCEEDED", "rate_limited": "RATE_LIMIT_EXCEEDED"}
STATUSES = {400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED", 404: "NOT_FOUND",
            405: "UNIMPLEMENTED",
            429: "RESOURCE_EXHAUSTED", 500: "INTERNAL", 502: "UNAVAILABLE", 503: "UNAVAILABLE",
            504: "DEADLINE_EXCEEDED"}


class PerspectiveError(ApiError):
    """An input error of Perspective's own, with the detail object Perspective adds to it."""

    def __init__(self, code: str, message: str, detail: dict | None = None):
        super().__init__(400, code, message)
        self.detail = detail or {}


# Google refuses an unknown key with 400 and a missing one with 403.
KEY_STATUSES = {"invalid_api_key": 400, "missing_api_key": 403}


def http_status(error: ApiError) -> int:
    """Input errors are 400 (the native API's 413/415/422 included); the rest keep theirs."""
    if error.code in KEY_STATUSES:
        return KEY_STATUSES[error.code]
    if error.status in (400, 413, 415, 422):
        return 400
    return error.status


def google_error(error: ApiError) -> tuple[dict, int]:
    status = http_status(error)
    details = []
    if status == 400 and error.code not in REASONS:
        details.append({"@type": PERSPECTIVE_ERROR, "errorType": ERROR_TYPES.get(error.code, "INVALID_REQUEST"),
                        **getattr(error, "detail", {})})
    if error.code in REASONS:
        details.append({"@type": ERROR_INFO, "reason": REASONS[error.code], "domain": "googleapis.com",
                        "metadata": {"service": SERVICE}})
    body = {"code": status, "message": error.message, "status": STATUSES.get(status, "UNKNOWN")}
    if details:
        body["details"] = details
    return {"error": body}, status
