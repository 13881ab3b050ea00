"""Domain errors: every refusal carries a stable code and the serials it names.

The command line and the screens only present these; no rule lives there.
"""

from __future__ import annotations

# code -> process exit status (SPEC §5)
# internal_error is not a rule: it is the last resort for a bug, so it is never a traceback
EXIT_STATUS = {"bad_request": 2, "bad_config": 2, "db_unavailable": 3, "internal_error": 70}

CODES = frozenset(
    """invalid_serial too_many_serials duplicate_in_input serial_item_mismatch
    serial_warehouse_mismatch already_in_stock not_in_stock not_returnable
    serials_required quantity_mismatch insufficient_stock base_unit_required
    void_order already_voided serial_management_disabled serial_items_exist
    tracking_conflict bundle_not_supported invalid_stock_for_serial unknown_item
    unknown_warehouse unknown_document unknown_serial unknown_carton code_conflict
    bad_request bad_config db_unavailable permission_denied internal_error""".split()
)


class KioskError(Exception):
    """A refusal by a rule: nothing was changed."""

    def __init__(
        self,
        code: str,
        message: str,
        serials: list[str] | tuple[str, ...] = (),
        **extra: object,
    ) -> None:
        assert code in CODES, code
        super().__init__(message)
        self.code = code
        self.message = message
        self.serials = list(serials)
        self.extra = extra

    @property
    def exit_status(self) -> int:
        return EXIT_STATUS.get(self.code, 1)

    def as_json(self) -> dict:
        body: dict = {"code": self.code, "message": self.message, "serials": self.serials}
        body.update(self.extra)
        return {"error": body}

    def __repr__(self) -> str:
        return f"KioskError({self.code!r}, {self.message!r}, {self.serials!r})"


def bad_request(message: str) -> KioskError:
    return KioskError("bad_request", message)
