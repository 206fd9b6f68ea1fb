"""The domain writes Salesforce performs on an org: users and queues, owner and status changes
with their LeadHistory rows, lead conversion, tasks and events."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from .ids import to_id18


class DomainWrites:
    """Mixed into ``Org``: built on its ``insert``/``get``/``update`` and its lock."""

    def add_user(self, name: str, *, username: str | None = None, is_active: bool = True,
                 time_zone: str = "America/New_York", user_role_id: str | None = None,
                 at: datetime | None = None) -> str:
        """Insert a User and return its Id."""
        return self.insert("User", {
            "Name": name, "Username": username or f"{name.lower().replace(' ', '.')}@example.com",
            "IsActive": is_active, "TimeZoneSidKey": time_zone, "UserRoleId": user_role_id,
            **({"CreatedDate": at} if at else {}),
        })

    def add_queue(self, name: str, *, developer_name: str | None = None,
                  at: datetime | None = None) -> str:
        """Insert a Group of Type 'Queue' and return its Id."""
        return self.insert("Group", {
            "Name": name, "DeveloperName": developer_name or name.replace(" ", "_"),
            "Type": "Queue", **({"CreatedDate": at} if at else {}),
        })

    def _owner_name(self, owner_id: str | None) -> str | None:
        row = self.related("Name", owner_id)
        return row.get("Name") if row else owner_id

    def _history(self, lead_id: str, field: str, data_type: str | None, old: Any, new: Any,
                 at: datetime, by_id: str | None) -> str:
        return self.insert("LeadHistory", {
            "LeadId": lead_id, "Field": field, "DataType": data_type, "OldValue": old,
            "NewValue": new, "CreatedDate": at, "CreatedById": by_id or self.default_user_id,
        })

    def change_owner(self, lead_id: str, new_owner_id: str, at: datetime,
                     by_id: str | None = None) -> list[str]:
        """Reassign a lead as Salesforce does; returns the LeadHistory Ids written.

        With OwnerId tracked, Salesforce writes two rows with the same CreatedDate and
        Field 'Owner': DataType 'EntityId' holding Ids, and DataType 'Text' holding names
        (DataType null on both when `owner_history_data_type` is False).
        """
        with self.lock:
            lead = self._data["Lead"][lead_id]
            old_owner = lead.get("OwnerId")
            new_owner_id = to_id18(new_owner_id) or new_owner_id
            if old_owner == new_owner_id:
                return []
            written = []
            if "OwnerId" in self.history_tracked:
                typed = self.owner_history_data_type
                written.append(self._history(lead_id, "Owner", "EntityId" if typed else None,
                                             old_owner, new_owner_id, at, by_id))
                written.append(self._history(lead_id, "Owner", "Text" if typed else None,
                                             self._owner_name(old_owner),
                                             self._owner_name(new_owner_id), at, by_id))
            self.update("Lead", lead_id, OwnerId=new_owner_id, SystemModstamp=at,
                        LastModifiedDate=at, LastModifiedById=by_id or self.default_user_id)
            return written

    def change_status(self, lead_id: str, new_status: str, at: datetime,
                      by_id: str | None = None, *, data_type: str = "Text") -> list[str]:
        """Set a lead's Status; with Status tracked, writes one LeadHistory row."""
        with self.lock:
            old = self._data["Lead"][lead_id].get("Status")
            if old == new_status:
                return []
            written = []
            if "Status" in self.history_tracked:
                written.append(self._history(lead_id, "Status", data_type, old, new_status,
                                             at, by_id))
            self.update("Lead", lead_id, Status=new_status, SystemModstamp=at,
                        LastModifiedDate=at, LastModifiedById=by_id or self.default_user_id)
            return written

    def convert_lead(self, lead_id: str, at: datetime, status: str = "Closed - Converted",
                     by_id: str | None = None, *, contact_id: str | None = None) -> str:
        """Convert a lead as Salesforce does and return the Contact Id.

        Without `contact_id` a new Contact is created; with it (`LeadConvert.contactId`) the
        lead merges into that existing Contact, which is updated (SystemModstamp := at) but
        keeps its Id. Either way the lead is marked converted (IsConverted, ConvertedDate,
        ConvertedContactId, the converted Status) and its Tasks/Events move to the Contact
        (WhoId := contact, SystemModstamp := at); the Contact's own activities stay as they are.
        """
        with self.lock:
            lead = self._data["Lead"][lead_id]
            if lead.get("IsConverted"):
                raise ValueError(f"CANNOT_UPDATE_CONVERTED_LEAD: lead {lead_id} is converted")
            if contact_id is not None:
                contact_id = to_id18(contact_id) or contact_id
                contact = self._data["Contact"].get(contact_id)
                if contact is None or contact.get("IsDeleted"):
                    raise ValueError(
                        f"INVALID_CROSS_REFERENCE_KEY: no Contact {contact_id} to convert "
                        f"lead {lead_id} into"
                    )
                self.update("Contact", contact_id, SystemModstamp=at,
                            LastModifiedById=by_id or self.default_user_id)
            else:
                contact_id = self.insert("Contact", {
                    "FirstName": lead.get("FirstName"), "LastName": lead.get("LastName"),
                    "Name": lead.get("Name"), "Email": lead.get("Email"),
                    "OwnerId": lead.get("OwnerId") if str(lead.get("OwnerId")).startswith("005")
                    else None,
                    "CreatedDate": at, "CreatedById": by_id or self.default_user_id,
                })
            self.change_status(lead_id, status, at, by_id)
            if self.history_tracked:  # Salesforce's "Lead converted" history line
                self._history(lead_id, "leadConverted", "Text", None, None, at, by_id)
            self.update("Lead", lead_id, IsConverted=True, ConvertedDate=at.astimezone(UTC).date(),
                        ConvertedContactId=contact_id, SystemModstamp=at, LastModifiedDate=at)
            for sobject in ("Task", "Event"):
                for row in list(self._data[sobject].values()):
                    if row.get("WhoId") == lead_id:
                        self.update(sobject, row["Id"], WhoId=contact_id, SystemModstamp=at)
            return contact_id

    def add_task(self, who_id: str, owner_id: str, at: datetime, subject: str = "Call",
                 *, subtype: str = "Call", **fields: Any) -> str:
        """Log a completed Task (a touch) on a lead or contact at `at`."""
        return self.insert("Task", {
            "WhoId": who_id, "OwnerId": owner_id, "Subject": subject, "Type": subtype,
            "TaskSubtype": subtype, "Status": "Completed", "IsClosed": True,
            "ActivityDate": at.astimezone(UTC).date(), "CreatedDate": at,
            "CreatedById": owner_id, **fields,
        })

    def add_event(self, who_id: str, owner_id: str, at: datetime, subject: str = "Meeting",
                  **fields: Any) -> str:
        """Add an Event (a meeting) on a lead or contact at `at`."""
        return self.insert("Event", {
            "WhoId": who_id, "OwnerId": owner_id, "Subject": subject, "Type": "Meeting",
            "EventSubtype": "Event", "ActivityDate": at.astimezone(UTC).date(),
            "StartDateTime": at, "EndDateTime": at + timedelta(minutes=30),
            "DurationInMinutes": 30, "CreatedDate": at, "CreatedById": owner_id, **fields,
        })
