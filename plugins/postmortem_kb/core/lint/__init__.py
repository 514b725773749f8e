"""The authoring lint: blame language, superficial analysis, placeholders, open markup."""
