import { Navigate, Route, Routes } from "react-router";
import { useAuth } from "./auth/AuthContext";
import { AcceptInvitation } from "./screens/AcceptInvitation";
import { Audit } from "./screens/Audit";
import { Bookings } from "./screens/Bookings";
import { ContactDetail, NewContact } from "./screens/ContactDetail";
import { Contacts } from "./screens/Contacts";
import { Dashboard } from "./screens/Dashboard";
import { EventDetail, Events } from "./screens/Events";
import { InvoiceDetail } from "./screens/InvoiceDetail";
import { Invoices } from "./screens/Invoices";
import { NewBooking } from "./screens/NewBooking";
import { NewInvoice } from "./screens/NewInvoice";
import { Notifications } from "./screens/Notifications";
import { Payments } from "./screens/Payments";
import { Shell } from "./screens/Shell";
import { SignIn } from "./screens/SignIn";
import { Team } from "./screens/Team";

export function App() {
  const { state } = useAuth();
  return (
    <Routes>
      <Route path="/invitations/accept" element={<AcceptInvitation />} />
      {state.status === "signed-in" ? (
        <Route element={<Shell />}>
          <Route path="/dashboard" element={<Dashboard />} />
          <Route path="/contacts" element={<Contacts />} />
          <Route path="/contacts/new" element={<NewContact />} />
          <Route path="/contacts/:id" element={<ContactDetail />} />
          <Route path="/bookings" element={<Bookings />} />
          <Route path="/bookings/new" element={<NewBooking />} />
          <Route path="/invoices" element={<Invoices />} />
          <Route path="/invoices/new" element={<NewInvoice />} />
          <Route path="/invoices/:id" element={<InvoiceDetail />} />
          <Route path="/payments" element={<Payments />} />
          <Route path="/team" element={<Team />} />
          <Route path="/notifications" element={<Notifications />} />
          <Route path="/audit" element={<Audit />} />
          <Route path="/events" element={<Events />} />
          <Route path="/events/:id" element={<EventDetail />} />
          <Route path="*" element={<Navigate to="/dashboard" replace />} />
        </Route>
      ) : (
        <Route path="*" element={<SignIn />} />
      )}
    </Routes>
  );
}
