'use strict';
// 对应商家编码 (admin/orders/skumapping/map_codes_form.html): "＋ 组合装" adds an item picker to a
// code's row, "删除" takes one away. The pickers are the admin's own autocomplete (autocomplete.js).
{
    const $ = django.jQuery;

    function addSlot(row) {
        const form = row.closest('form.map-codes');
        const template = form.querySelector('template.map-codes-slot-template');
        const slot = template.content.firstElementChild.cloneNode(true);
        const index = Number(row.dataset.nextSlot);
        row.dataset.nextSlot = String(index + 1);
        for (const input of slot.querySelectorAll('[name]')) {
            input.name = input.name.replace('__row__', row.dataset.row).replace('__slot__', String(index));
        }
        row.querySelector('.map-codes-add').before(slot);
        $(slot.querySelector('select')).djangoAdminSelect2();
    }

    document.addEventListener('click', (event) => {
        const add = event.target.closest('form.map-codes .map-codes-add');
        if (add) {
            addSlot(add.closest('.map-codes-row'));
            return;
        }
        const remove = event.target.closest('form.map-codes .map-codes-remove');
        if (remove) {
            const slot = remove.closest('.map-codes-slot');
            $(slot.querySelector('select')).select2('destroy');
            slot.remove();
        }
    });
}
