"""Report writers. Each format is one module; they read results and never validate themselves."""
