"""Admin side of the audit trail: each audited object's page and its 历史 page show its timeline."""

from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse


class TimelineAdminMixin:
    """Adds the Chinese timeline below the change form and replaces the LogEntry history page with it.

    The admin names its model's builder: `timeline_builder = staticmethod(order_timeline)`.
    """

    timeline_builder = None

    change_form_template = "admin/audit/change_form.html"
    object_history_template = "admin/audit/object_history.html"

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None and obj.pk:
            context["timeline"] = self.timeline_builder(obj)
        return super().render_change_form(request, context, add=add, change=change, form_url=form_url, obj=obj)

    def history_view(self, request, object_id, extra_context=None):
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if not self.has_view_or_change_permission(request, obj):
            raise PermissionDenied
        context = {
            **self.admin_site.each_context(request),
            "title": f"操作记录：{obj}",
            "subtitle": None,
            "object": obj,
            "opts": self.opts,
            "timeline": self.timeline_builder(obj),
            "preserved_filters": self.get_preserved_filters(request),
            **(extra_context or {}),
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, self.object_history_template, context)
