from hubkit.errors import ApplicationError, Conflict, NotFound, UnsupportedMediaType, ValidationFailed


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


class ContactImportNotFound(NotFound):
    title = "Contact import not found"


class ImportFileTooLarge(ApplicationError):
    status = 413
    code = "import_too_large"
    title = "Import file too large"


class ImportFileType(UnsupportedMediaType):
    code = "import_unsupported_type"
    title = "Import file type not supported"


class ImportFileInvalid(ValidationFailed):
    code = "import_file_invalid"
    title = "Import file cannot be read"
