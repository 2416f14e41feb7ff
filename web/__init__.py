"""The portal: demo sign-in, "Billing > Your products", the chat widget's assets and session API."""
