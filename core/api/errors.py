"""One error shape for the whole API (drf-standardized-errors), with the domain errors mapped.

Every error answers {"type": ..., "errors": [{"code", "detail", "attr"}]}; a conflict adds
"conflicts" (line, reason, other booking, times) and an illegal status move adds
"allowed" (the legal next statuses).
"""

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, ObjectDoesNotExist, RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django_fsm import ConcurrentTransition
from drf_standardized_errors import formatter, handler, openapi, openapi_serializers
from rest_framework import exceptions, serializers, status
from rest_framework.fields import get_error_detail

from core import errors


class DomainError(exceptions.APIException):
    """A domain error as an API exception, with extra keys for the body."""

    def __init__(self, *, status_code: int, code: str, detail: str, extra: dict | None = None):
        super().__init__(detail=detail, code=code)
        self.status_code = status_code
        self.extra = extra or {}


def _as_api_exception(exc: Exception) -> Exception:
    if isinstance(exc, RequestDataTooBig):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        return DomainError(
            status_code=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
            code="request_too_large",
            detail=f"The request body is larger than {limit} bytes ({limit // 1024} KiB).",
        )
    if isinstance(exc, errors.BookingConflict):
        return DomainError(
            status_code=status.HTTP_409_CONFLICT,
            code=exc.code,
            detail=str(exc),
            extra={"conflicts": [conflict.as_dict() for conflict in exc.conflicts]},
        )
    if isinstance(exc, errors.TransitionNotAllowed):
        return DomainError(
            status_code=status.HTTP_409_CONFLICT,
            code=exc.code,
            detail=str(exc),
            extra={"current": exc.current, "allowed": exc.allowed},
        )
    if isinstance(
        exc, errors.StaleBooking | errors.BookingClosed | errors.ChangeRequestClosed | errors.InUse
    ):
        return DomainError(status_code=status.HTTP_409_CONFLICT, code=exc.code, detail=str(exc))
    if isinstance(exc, ConcurrentTransition):
        return DomainError(
            status_code=status.HTTP_409_CONFLICT,
            code=errors.ErrorCode.CONCURRENT_CHANGE,
            detail="The booking changed while this request ran. Reload it and try again.",
        )
    if isinstance(exc, errors.PermissionDenied):
        return exceptions.PermissionDenied(detail=str(exc), code=exc.code)
    if isinstance(exc, DjangoValidationError):
        # get_error_detail() keeps each message's code ("out_of_range"), as serializers do.
        detail = get_error_detail(exc)
        if not isinstance(detail, dict):
            detail = {"non_field_errors": detail}
        if NON_FIELD_ERRORS in detail:
            detail["non_field_errors"] = detail.pop(NON_FIELD_ERRORS)
        return exceptions.ValidationError(detail=detail)
    if isinstance(exc, ObjectDoesNotExist):
        return exceptions.NotFound()
    return exc


class ExceptionHandler(handler.ExceptionHandler):
    def convert_known_exceptions(self, exc: Exception) -> Exception:
        return super().convert_known_exceptions(_as_api_exception(exc))


class ExceptionFormatter(formatter.ExceptionFormatter):
    def format_error_response(self, error_response) -> dict:
        body = super().format_error_response(error_response)
        body.update(getattr(self.exc, "extra", {}))
        return body


class TooLargeErrorSerializer(serializers.Serializer):
    code = serializers.ChoiceField(choices=["request_too_large"])
    detail = serializers.CharField()
    attr = serializers.CharField(allow_null=True)


class TooLargeErrorResponseSerializer(serializers.Serializer):
    """413: the body is larger than DATA_UPLOAD_MAX_MEMORY_SIZE."""

    type = serializers.ChoiceField(choices=openapi_serializers.ClientErrorEnum.choices)
    errors = TooLargeErrorSerializer(many=True)


class AutoSchema(openapi.AutoSchema):
    """Documents every 400 as what it is: a list of errors whose `attr` is a field path.

    The library would enumerate field names and codes from the input serializer, but
    the services also validate (answers of custom fields, "space_lines.0.starts_at",
    form policy) with their own field paths and codes.
    """

    def _get_serializer_for_validation_error_response(self):
        return openapi_serializers.ValidationErrorResponseSerializer

    def _should_add_error_response(self, responses: dict, status_code: str) -> bool:
        # Only a request with a body can be too large.
        if status_code == "413" and self.method not in ("POST", "PUT", "PATCH"):
            return False
        return super()._should_add_error_response(responses, status_code)

    def _get_error_response_serializer(self, status_code: str):
        if status_code == "413":
            return TooLargeErrorResponseSerializer
        return super()._get_error_response_serializer(status_code)

    def _get_response_for_code(
        self, serializer, status_code, media_types=None, direction="response"
    ):
        # Errors are JSON even where the answer itself is not (core.api.renderers).
        if media_types is None and str(status_code)[0] in "45":
            media_types = ["application/json"]
        return super()._get_response_for_code(serializer, status_code, media_types, direction)

    def _should_add_validation_error_response(self) -> bool:
        # Query parameters are validated too (availability ranges, dates), not only bodies.
        return True


def document_error_codes(result, generator, request, public):
    """drf-spectacular hook: list the domain error codes and conflict reasons in the docs."""
    rows = "\n".join(f"| `{code.value}` | {code.label} |" for code in errors.ErrorCode)
    reasons = "\n".join(
        f"| `{reason.value}` | {reason.label} |" for reason in errors.ConflictReason
    )
    result["info"]["description"] += (
        '\n\n## Errors\n\nEvery error answers `{"type", "errors": [{"code", "detail", '
        '"attr"}]}`; `attr` names the field by its path (`spaces.0.starts_at`). Besides '
        "the validation codes of each field, the domain's codes are:\n\n"
        f"| code | meaning |\n|---|---|\n{rows}\n\n"
        "A `conflict` (409) lists `conflicts`: the line, the reason, the other booking "
        f"or blockout, and the times. Reasons:\n\n| reason | meaning |\n|---|---|\n{reasons}\n"
    )
    return result
