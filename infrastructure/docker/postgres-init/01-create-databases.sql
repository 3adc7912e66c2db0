-- One database per service (each service owns its data). Runs only when the volume is empty;
-- after adding a database here, recreate the volume or create it by hand.
CREATE DATABASE hub_backend;
CREATE DATABASE hub_identity;
CREATE DATABASE hub_communication;
CREATE DATABASE hub_workflow;
