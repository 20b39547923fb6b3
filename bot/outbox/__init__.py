"""The durable outbox: submitted dossiers in Redis until every office inbox has accepted them."""
