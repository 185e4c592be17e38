"""The API's error type: an HTTP status, a stable code and a message for people."""


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, retry_after: int | None = None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.retry_after = retry_after

    def body(self) -> dict:
        return {"error": {"code": self.code, "message": self.message}}


def invalid_json(message: str) -> ApiError:
    return ApiError(400, "invalid_json", message)


def empty_text(message: str = "The text is empty: type something to check.") -> ApiError:
    return ApiError(422, "empty_text", message)


def invalid_text(message: str) -> ApiError:
    """Valid JSON whose text cannot be scored: the client must change it, retrying will not help."""
    return ApiError(422, "invalid_text", message)


def text_too_long(length: int, limit: int) -> ApiError:
    return ApiError(413, "text_too_long", f"The text has {length:,} characters; the limit is {limit:,}.")
