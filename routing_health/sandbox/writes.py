"""REST writes of the emulator: create and delete one record (``/sobjects/<Type>/``) and
sObject Collections (``/composite/sobjects``), with Salesforce's answers.

- ``POST /sobjects/Lead/`` → 201 ``{"id", "success": true, "errors": []}``; a failed record →
  400 ``[{"message", "errorCode", "fields"}]``. ``DELETE /sobjects/Lead/<id>`` → 204.
- ``POST /composite/sobjects`` ``{"allOrNone", "records": [{"attributes": {"type"}, …}]}`` →
  200 and one SaveResult per record in order: ``{"id", "success": true, "errors": []}`` or
  ``{"success": false, "errors": [{"statusCode", "message", "fields"}]}``. With allOrNone true
  and any failure nothing is written and the valid records answer
  ``ALL_OR_NONE_OPERATION_ROLLED_BACK``.
- ``DELETE /composite/sobjects?ids=a,b&allOrNone=false`` → 200 and one DeleteResult per Id.
- More than 200 records or Ids → 400 ``EXCEEDED_ID_LIMIT``; an unknown field → 400
  ``INVALID_FIELD`` for the whole request (the body does not deserialise); an unknown type →
  400 ``INVALID_TYPE``.

Records get an Id, CreatedDate (the org's clock), the caller as CreatedById, the default lead
status and — for a Lead without OwnerId — the router's holding owner (without a router: the
caller, as in Salesforce). Created leads are queued for the org's router unless the request says
``Sforce-Auto-Assign: FALSE`` (the Assignment Rule header; absent means TRUE). Deletion moves a
record to the recycle bin (``IsDeleted`` true, only queryAll sees it).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

from .faults import error_body
from .ids import to_id18
from .schema import SObjectSpec

if TYPE_CHECKING:
    from .org import Org

Result = tuple[int, dict[str, str], Any]
MAX_RECORDS = 200
WRITABLE = frozenset({"Lead", "Contact", "Task", "Event"})
READ_ONLY_FIELDS = frozenset({"Id", "CreatedDate", "CreatedById", "LastModifiedDate",
                              "LastModifiedById", "SystemModstamp", "IsDeleted", "Name",
                              "IsConverted", "ConvertedDate", "ConvertedContactId", "Address"})
REQUIRED = {"Lead": ("LastName", "Company"), "Contact": ("LastName",)}
EXCEEDED_ID_LIMIT = error_body("EXCEEDED_ID_LIMIT", "record limit reached. cannot submit more "
                               "than 200 records into this call")
ROLLED_BACK = ("ALL_OR_NONE_OPERATION_ROLLED_BACK", "Record rolled back because not all "
               "records were valid and the request was using AllOrNone header")


class RequestError(Exception):
    """The whole request is refused (400 and a Salesforce error body)."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.body = error_body(code, message)


def _err(code: str, message: str, fields: list[str] | None = None) -> dict[str, Any]:
    return {"statusCode": code, "message": message, "fields": fields or []}


def _failed(*errors: dict[str, Any]) -> dict[str, Any]:
    return {"success": False, "errors": list(errors)}


def _is_true(value: Any) -> bool:
    return value is True or str(value).lower() == "true"


class RestWrites:
    """The write resources for one emulator's org."""

    def __init__(self, org: Org):
        self.org = org

    # ---------------------------------------------------------------- validation
    def _spec(self, name: Any) -> SObjectSpec:
        spec = self.org.describe(name) if isinstance(name, str) else None
        if spec is None or spec.virtual:
            raise RequestError("INVALID_TYPE", f"sObject type '{name}' is not supported.")
        return spec

    def _parse(self, spec: SObjectSpec, body: dict[str, Any]) -> dict[str, Any]:
        """The body's fields as stored values; unknown fields refuse the request."""
        out: dict[str, Any] = {}
        for key, value in body.items():
            if key == "attributes":
                continue
            field = spec.field(key)
            if field is None:
                raise RequestError("INVALID_FIELD",
                                   f"No such column '{key}' on sobject of type {spec.name}")
            out[field.name] = self._value(field.name, field.type, value)
        return out

    @staticmethod
    def _value(name: str, type_: str, value: Any) -> Any:
        if value is None or (value == "" and type_ in ("datetime", "date", "boolean")):
            return None
        try:
            if type_ == "datetime":
                parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
                return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
            if type_ == "date":
                return date.fromisoformat(str(value))
            if type_ == "boolean":
                if not isinstance(value, bool):
                    raise ValueError(value)
            if type_ in ("id", "reference"):
                return to_id18(value) or value
        except (TypeError, ValueError):
            raise RequestError("JSON_PARSER_ERROR", f"Cannot deserialize instance of {type_} "
                               f"from VALUE_STRING value {value!r} for field {name}") from None
        return value

    def _problem(self, spec: SObjectSpec, fields: dict[str, Any]) -> dict[str, Any] | None:
        """Why this record cannot be created (a SaveResult error), or None."""
        if spec.name not in WRITABLE:
            return _err("INVALID_TYPE_FOR_OPERATION",
                        f"entity type cannot be inserted: {spec.name}")
        if "Id" in fields:
            return _err("INVALID_FIELD_FOR_INSERT_UPDATE", "cannot specify Id in an insert call",
                        ["Id"])
        locked = sorted(k for k in fields if k in READ_ONLY_FIELDS)
        if locked:
            return _err("INVALID_FIELD_FOR_INSERT_UPDATE",
                        f"Unable to create/update fields: {', '.join(locked)}. Please check the "
                        "security settings of this field and verify that it is read/write for "
                        "your profile or permission set.", locked)
        missing = [k for k in REQUIRED.get(spec.name, ()) if not fields.get(k)]
        if missing:
            return _err("REQUIRED_FIELD_MISSING",
                        f"Required fields are missing: [{', '.join(missing)}]", missing)
        return None

    # ---------------------------------------------------------------- create
    def _insert(self, spec: SObjectSpec, fields: dict[str, Any], user_id: str,
                auto_assign: bool) -> str:
        org = self.org
        router = org.router if auto_assign else None
        row = {**fields, "CreatedById": user_id, "LastModifiedById": user_id}
        if spec.name == "Lead":
            if not row.get("Status"):
                row["Status"] = next((r["ApiName"] for r in org.records("LeadStatus")
                                      if r.get("IsDefault")), None)
            if not row.get("OwnerId"):
                row["OwnerId"] = router.config.holding_owner_id if router else user_id
        elif spec.has("OwnerId") and not row.get("OwnerId"):
            row["OwnerId"] = user_id
        record_id = org.insert(spec.name, row)
        if spec.name == "Lead" and router is not None:
            router.enqueue(record_id, org.get("Lead", record_id)["CreatedDate"])
        return record_id

    def create(self, name: str, body: Any, user_id: str, auto_assign: bool = True) -> Result:
        """``POST /sobjects/<Type>/``; ``auto_assign`` False (``Sforce-Auto-Assign: FALSE``)
        leaves created leads to no router."""
        if not isinstance(body, dict):
            return 400, {}, error_body("JSON_PARSER_ERROR", "The request body is not a JSON "
                                       "object")
        try:
            spec = self._spec(name)
            fields = self._parse(spec, body)
        except RequestError as exc:
            if exc.body[0]["errorCode"] == "INVALID_TYPE":  # no such /sobjects/<Type>/ resource
                return 404, {}, error_body("NOT_FOUND", "The requested resource does not exist")
            return 400, {}, exc.body
        with self.org.lock:
            problem = self._problem(spec, fields)
            if problem is not None:
                return 400, {}, [{"message": problem["message"],
                                  "errorCode": problem["statusCode"],
                                  "fields": problem["fields"]}]
            record_id = self._insert(spec, fields, user_id, auto_assign)
            self.org.route_due()
        return 201, {}, {"id": record_id, "success": True, "errors": []}

    def create_collection(self, body: Any, user_id: str, auto_assign: bool = True) -> Result:
        """``POST /composite/sobjects``."""
        records = body.get("records") if isinstance(body, dict) else None
        if not isinstance(records, list) or not records:
            return 400, {}, error_body("JSON_PARSER_ERROR", "records is required")
        if len(records) > MAX_RECORDS:
            return 400, {}, EXCEEDED_ID_LIMIT
        all_or_none = _is_true(body.get("allOrNone", False))
        parsed = []
        try:
            for record in records:
                if not isinstance(record, dict) or not isinstance(record.get("attributes"),
                                                                  dict):
                    raise RequestError("INVALID_TYPE", "Each record must have an attributes "
                                       "map with a type")
                spec = self._spec(record["attributes"].get("type"))
                parsed.append((spec, self._parse(spec, record)))
        except RequestError as exc:
            return 400, {}, exc.body
        with self.org.lock:
            problems = [self._problem(spec, fields) for spec, fields in parsed]
            if all_or_none and any(problems):
                return 200, {}, [_failed(p) if p else _failed(_err(*ROLLED_BACK))
                                 for p in problems]
            results = []
            for (spec, fields), problem in zip(parsed, problems, strict=True):
                if problem is not None:
                    results.append(_failed(problem))
                    continue
                results.append({"id": self._insert(spec, fields, user_id, auto_assign),
                                "success": True, "errors": []})
            self.org.route_due()
        return 200, {}, results

    # ---------------------------------------------------------------- delete
    def _delete_problem(self, raw: str) -> tuple[str, str | None, dict[str, Any] | None]:
        """(Id as answered, sObject, error or None) for one Id to delete."""
        record_id = to_id18(raw)
        if record_id is None:
            return raw, None, _err("MALFORMED_ID", f"malformed id {raw}")
        sobject = self.org.sobject_for_id(record_id)
        row = self.org.get(sobject, record_id) if sobject else None
        if row is None:
            return record_id, None, _err("INVALID_CROSS_REFERENCE_KEY",
                                         "invalid cross reference id")
        if sobject not in WRITABLE:
            return record_id, None, _err("INVALID_TYPE_FOR_OPERATION",
                                         f"entity type cannot be deleted: {sobject}")
        if row.get("IsDeleted"):
            return record_id, None, _err("ENTITY_IS_DELETED", "entity is deleted")
        return record_id, sobject, None

    def delete(self, name: str, raw_id: str) -> Result:
        """``DELETE /sobjects/<Type>/<id>`` → 204; 404 ``ENTITY_IS_DELETED`` for a record
        already in the recycle bin, 404 ``NOT_FOUND`` for an unknown one."""
        spec = self.org.describe(name)
        with self.org.lock:
            record_id, sobject, problem = self._delete_problem(raw_id)
            unknown = problem is not None and problem["statusCode"] in (
                "MALFORMED_ID", "INVALID_CROSS_REFERENCE_KEY")
            if spec is None or unknown or (sobject is not None and spec.name != sobject):
                return 404, {}, error_body("NOT_FOUND", "The requested resource does not exist")
            if problem is not None:
                status = 404 if problem["statusCode"] == "ENTITY_IS_DELETED" else 400
                return status, {}, error_body(problem["statusCode"], problem["message"])
            self.org.delete(spec.name, record_id)
        return 204, {}, None

    def delete_collection(self, ids: str | None, all_or_none: str | None) -> Result:
        """``DELETE /composite/sobjects?ids=…&allOrNone=…``."""
        wanted = [i.strip() for i in (ids or "").split(",") if i.strip()]
        if not wanted:
            return 400, {}, error_body("MISSING_ARGUMENT", "ids is required")
        if len(wanted) > MAX_RECORDS:
            return 400, {}, EXCEEDED_ID_LIMIT
        with self.org.lock:
            checked = [self._delete_problem(raw) for raw in wanted]
            if _is_true(all_or_none) and any(p for _, _, p in checked):
                return 200, {}, [{"id": i, **(_failed(p) if p else _failed(_err(*ROLLED_BACK)))}
                                 for i, _, p in checked]
            results, done = [], set()
            for record_id, sobject, problem in checked:
                if problem is None and record_id in done:  # the same Id twice
                    problem = _err("ENTITY_IS_DELETED", "entity is deleted")
                if problem is not None or sobject is None:
                    results.append({"id": record_id, **_failed(problem or {})})
                    continue
                self.org.delete(sobject, record_id)
                done.add(record_id)
                results.append({"id": record_id, "success": True, "errors": []})
        return 200, {}, results
