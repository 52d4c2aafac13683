# Customer secrets sealed at rest (issue 8, finding 7): a field for the outbox's sealed
# manage link and one for the sealed Idempotency-Key answer, with a database default so
# that code still running without them can insert rows. The old answer column gets a
# default so that migrating back can add it again to a table that has rows.

import django.core.serializers.json
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('bookings', '0002_idempotency_key'),
    ]

    operations = [
        migrations.AddField(
            model_name='notification',
            name='sealed_manage_url',
            field=models.TextField(blank=True, db_default='', default='', editable=False),
        ),
        migrations.AddField(
            model_name='idempotencykey',
            name='sealed_response',
            field=models.TextField(blank=True, db_default='', default=''),
        ),
        migrations.AlterField(
            model_name='idempotencykey',
            name='response_body',
            field=models.JSONField(default=dict, encoder=django.core.serializers.json.DjangoJSONEncoder),
        ),
    ]
