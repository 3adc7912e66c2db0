from hubkit.errors import NotFound, ValidationFailed


class NotificationNotFound(NotFound):
    title = "Notification not found"


class UnknownRecipients(ValidationFailed):
    code = "unknown_recipients"
    title = "Not members of this organization"


class PreferenceMandatory(ValidationFailed):
    code = "preference_mandatory"
    title = "This preference cannot be switched off"
