from django import forms
from django.core.validators import MaxValueValidator

from inventory.models import InventoryItem, StockMovement
from inventory.validators import MAX_QUANTITY, image_rules_text, normalize_barcode

CORRECTION_REASONS = [
    (StockMovement.Reason.RECEIVE, StockMovement.Reason.RECEIVE.label),
    (StockMovement.Reason.ADJUST, StockMovement.Reason.ADJUST.label),
    (StockMovement.Reason.COUNT, StockMovement.Reason.COUNT.label),
]


class InventoryItemForm(forms.ModelForm):
    """Stock is never typed over: a correction is a signed change with a reason, written to the ledger."""

    stock_delta = forms.IntegerField(
        label="库存调整",
        required=False,
        initial=0,
        min_value=-MAX_QUANTITY,
        max_value=MAX_QUANTITY,
        error_messages={
            "min_value": f"每次最多减少 {MAX_QUANTITY} 件。",
            "max_value": f"每次最多增加 {MAX_QUANTITY} 件。",
        },
        help_text=f"正数为入库，负数为出库；0 表示不调整。每次最多 ±{MAX_QUANTITY} 件。",
    )
    stock_reason = forms.ChoiceField(label="调整原因", choices=CORRECTION_REASONS, initial=StockMovement.Reason.RECEIVE)
    stock_note = forms.CharField(label="调整备注", required=False, max_length=200)

    class Meta:
        model = InventoryItem
        fields = ["sku", "name", "image", "barcode", "location", "low_stock_threshold"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "image" in self.fields:
            self.fields["image"].help_text = image_rules_text()
        if "low_stock_threshold" in self.fields:
            # The same bound on every database (the column alone would allow 2^32 on MariaDB, 2^63 on SQLite).
            threshold = self.fields["low_stock_threshold"]
            threshold.validators.append(MaxValueValidator(MAX_QUANTITY, f"预警库存最多 {MAX_QUANTITY}。"))
            threshold.widget.attrs["max"] = MAX_QUANTITY

    def clean_barcode(self):
        return normalize_barcode(self.cleaned_data.get("barcode")) or None

    def clean(self):
        cleaned = super().clean()
        delta = cleaned.get("stock_delta") or 0
        current = self.instance.stock if self.instance.pk else 0
        if delta < 0 and current + delta < 0:
            self.add_error("stock_delta", f"库存不足：现有 {current} 件，最多只能减少 {current} 件。")
        if delta and cleaned.get("stock_reason") == StockMovement.Reason.ADJUST and not cleaned.get("stock_note"):
            self.add_error("stock_note", "人工调整请填写备注，说明原因。")
        return cleaned
