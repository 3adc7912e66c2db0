from hubkit.errors import Conflict, NotFound


class ContactNotFound(NotFound):
    code = "not_found"
    title = "Contact not found"


class ContactEmailTaken(Conflict):
    code = "contact_email_taken"
    title = "Email already used by another contact"


class ContactErased(Conflict):
    code = "contact_erased"
    title = "Contact was erased"


class ResourceNotFound(NotFound):
    title = "Resource not found"


class TimeOffNotFound(NotFound):
    title = "Time off not found"


class OverrideNotFound(NotFound):
    title = "Working-hours override not found"


class ServiceNotFound(NotFound):
    title = "Service not found"
