"""What every layer of the engine shares: who asks (context), what can be refused (errors), query parameters."""
