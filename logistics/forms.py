from django import forms

from logistics.models import Sender


class SenderForm(forms.ModelForm):
    """The e-waybill password is write-only: never sent back to the browser; blank keeps it."""

    partner_key = forms.CharField(
        label="电子面单密码",
        required=False,
        max_length=100,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text="网点给的电子面单密码。保存后不再显示；留空则保持原密码不变。",
    )
    clear_partner_key = forms.BooleanField(label="清除已保存的密码", required=False)

    class Meta:
        model = Sender
        fields = [
            "name",
            "phone",
            "address",
            "default_carrier",
            "partner_id",
            "partner_key",
            "template_id",
            "label_size",
            "ship_mode",
        ]
        # In Chinese only: the API's own names (partnerId, tempId) mean nothing to the shop owner.
        help_texts = {
            "partner_id": "快递公司网点给的电子面单（月结）账号。",
            "template_id": "快递100 后台“电子面单模板”里的模板编号。",
        }

    def clean_partner_key(self):
        typed = self.cleaned_data.get("partner_key", "")
        return typed or (self.instance.partner_key if self.instance.pk else "")

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("clear_partner_key"):
            cleaned["partner_key"] = ""
        return cleaned
