"""Order lines, parcels and parcel lines (the real-orders model); the old per-order fields stay until 0010."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ('inventory', '0005_shipping_report_and_exports'),
        ('orders', '0007_order_carrier_created_index'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
                    name='OrderLine',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('quantity', models.PositiveIntegerField(default=1, verbose_name='数量')),
                        ('sub_order_no', models.CharField(blank=True, max_length=64, verbose_name='子订单号')),
                    ],
                    options={
                        'verbose_name': '订单商品',
                        'verbose_name_plural': '订单商品',
                        'ordering': ['order_id', 'id'],
                    },
                ),
        migrations.CreateModel(
                    name='Parcel',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('tracking_number', models.CharField(max_length=40, verbose_name='快递单号')),
                        ('live_number', models.CharField(blank=True, editable=False, max_length=40, null=True)),
                        ('status', models.CharField(choices=[('shipped', '已发货'), ('voided', '已撤销')], default='shipped', max_length=16, verbose_name='包裹状态')),
                        ('shipped_at', models.DateTimeField(blank=True, null=True, verbose_name='发货时间')),
                        ('voided_at', models.DateTimeField(blank=True, null=True, verbose_name='撤销时间')),
                        ('created_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='创建时间')),
                    ],
                    options={
                        'verbose_name': '包裹',
                        'verbose_name_plural': '包裹',
                        'ordering': ['-created_at', '-id'],
                    },
                ),
        migrations.CreateModel(
                    name='ParcelLine',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('quantity', models.PositiveIntegerField(verbose_name='数量')),
                    ],
                    options={
                        'verbose_name': '包裹商品',
                        'verbose_name_plural': '包裹商品',
                        'ordering': ['parcel_id', 'id'],
                    },
                ),
        migrations.AlterField(
                    model_name='historicalorder',
                    name='status',
                    field=models.CharField(choices=[('pending', '待发货'), ('partial', '部分发货'), ('shipped', '已发货'), ('cancelled', '已取消')], default='pending', editable=False, max_length=16, verbose_name='发货状态'),
                ),
        migrations.AlterField(
                    model_name='order',
                    name='status',
                    field=models.CharField(choices=[('pending', '待发货'), ('partial', '部分发货'), ('shipped', '已发货'), ('cancelled', '已取消')], default='pending', editable=False, max_length=16, verbose_name='发货状态'),
                ),
        migrations.AddField(
                    model_name='orderline',
                    name='item',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='order_lines', to='inventory.inventoryitem', verbose_name='商品'),
                ),
        migrations.AddField(
                    model_name='orderline',
                    name='order',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='lines', to='orders.order', verbose_name='订单'),
                ),
        migrations.AddField(
                    model_name='parcel',
                    name='carrier',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='parcels', to='orders.carrier', verbose_name='快递公司'),
                ),
        migrations.AddField(
                    model_name='parcel',
                    name='shipped_by',
                    field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='发货人'),
                ),
        migrations.AddField(
                    model_name='parcel',
                    name='voided_by',
                    field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='撤销人'),
                ),
        migrations.AddField(
                    model_name='parcelline',
                    name='line',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='parcel_lines', to='orders.orderline', verbose_name='订单商品'),
                ),
        migrations.AddField(
                    model_name='parcelline',
                    name='parcel',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='lines', to='orders.parcel', verbose_name='包裹'),
                ),
        migrations.AddConstraint(
                    model_name='orderline',
                    constraint=models.CheckConstraint(condition=models.Q(('quantity__gt', 0)), name='orders_orderline_quantity_gt_0'),
                ),
        migrations.AddIndex(
                    model_name='parcel',
                    index=models.Index(fields=['shipped_at', 'id'], name='orders_parcel_shipped_idx'),
                ),
        migrations.AddIndex(
                    model_name='parcel',
                    index=models.Index(fields=['tracking_number'], name='orders_parcel_tracking_idx'),
                ),
        migrations.AddConstraint(
                    model_name='parcel',
                    constraint=models.UniqueConstraint(fields=('carrier', 'live_number'), name='orders_parcel_live_number_unique'),
                ),
        migrations.AddConstraint(
                    model_name='parcelline',
                    constraint=models.CheckConstraint(condition=models.Q(('quantity__gt', 0)), name='orders_parcelline_quantity_gt_0'),
                ),
    ]
