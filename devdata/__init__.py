"""Development data tools shared by bench/ and scripts/ (not a Django app: nothing here is imported by the product)."""
