from hubkit.errors import Conflict, NotFound, ValidationFailed


class BookingNotFound(NotFound):
    title = "Booking not found"


class BookingConflict(Conflict):
    """The period overlaps other active bookings of the resource; `conflicts` lists them."""

    code = "booking_conflict"
    title = "The resource is already booked then"


class SessionFull(Conflict):
    """Every place of the group session is taken."""

    code = "session_full"
    title = "The session is full"


class OutsideAvailability(ValidationFailed):
    code = "outside_availability"
    title = "Outside the resource's availability"


class InvalidTransition(Conflict):
    code = "invalid_transition"
    title = "The booking cannot make this change in its status"


class HoldExpired(Conflict):
    code = "hold_expired"
    title = "The hold has expired"
