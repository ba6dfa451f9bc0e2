"""Results directories: atomic writing, every table's builder, and reading them back."""
