"""Each classification of a measure carries its evidence (issue 14).

The plain many-to-many tables become the tables of models with an `evidence` column, in
place, so every existing assignment is kept (Django's documented way of giving a
many-to-many field a through model). Then the seed notice's assignments get their evidence,
and the editors' review of them is applied, where that notice is stored: assignments of
other notices keep an empty evidence, which the measure's page shows as 依据待补.
"""

import django.db.models.deletion
from django.db import migrations, models

EVIDENCE_HELP = (
    "条文中据以归类的原话，逐字摘录（正文或原文小标题中连续的一段），例如 加大信贷支持力度。"
)

SEED_NOTICE = "gxmd-2020-14"

# The review of issue 14: {measure number: {kind: {slug: evidence}}}. An assignment not
# listed is one the review removed (中小企业 on 1 and 2, 受疫情影响较大的企业 on 17); the
# review added 中小企业 on 12, 数字化转型 on 14 and 复工复产 on 15, 17, 19 and 20. The
# fixture (fixtures/policies.json) holds the same; tests/test_evidence.py checks they agree.
EVIDENCE = {
    1: {
        "topic": {
            "resumption": "重点企业尽快复工复产",
            "epidemic-control": "按照当地疫情防控总体要求",
        },
        "target_group": {
            "key-epidemic-enterprises": "全力保障疫情防控必需、公共事业运行必需、群众生活必需等重点企业"
        },
    },
    2: {
        "topic": {
            "resumption": "指导企业制订复工复产方案",
            "epidemic-control": "落实疫情防控主体责任和各项措施",
        }
    },
    3: {
        "topic": {
            "resumption": "强化复工复产要素保障",
            "factor-supply": "原材料供应、物资运输",
            "labour": "加大企业复产用工保障力度",
            "cost-relief": "实施阶段性缓缴费用",
            "anti-epidemic-supplies": "口罩、消杀用品、测温仪等防控物资保障",
        },
        "target_group": {"sme": "疫情期间中小企业生产经营所需的用电、用水、用气"},
    },
    4: {
        "topic": {
            "epidemic-control": "发挥中小企业服务疫情防控的作用",
            "anti-epidemic-supplies": "转产防疫物资",
        },
        "target_group": {
            "sme": "纳入疫情防控重点保障企业名单的中小企业",
            "key-epidemic-enterprises": "纳入疫情防控重点保障企业名单",
            "converting-producers": "有条件、有意愿转产防疫物资的中小企业",
        },
    },
    5: {
        "topic": {"fiscal-tax": "申请贴息支持和税收优惠"},
        "target_group": {
            "sme": "本地中小企业",
            "key-epidemic-enterprises": "纳入中央疫情防控重点保障企业名单",
        },
        "region": {
            "hubei": "湖北",
            "zhejiang": "浙江",
            "guangdong": "广东",
            "henan": "河南",
            "hunan": "湖南",
            "anhui": "安徽",
            "chongqing": "重庆",
            "jiangxi": "江西",
            "beijing": "北京",
            "shanghai": "上海",
        },
    },
    6: {
        "topic": {
            "fiscal-tax": "充分发挥本级中小企业发展专项资金的作用",
            "cost-relief": "切实减轻中小企业成本负担",
            "labour": "稳岗奖励",
            "training": "加大企业职工技能培训补贴",
        },
        "target_group": {
            "sme": "加大对受疫情影响严重中小企业的支持",
            "hard-hit": "受疫情影响严重中小企业",
        },
    },
    7: {
        "topic": {"procurement-arrears": "提高面向中小企业采购的金额和比例"},
        "target_group": {"sme": "拖欠中小企业账款清理力度"},
    },
    8: {
        "topic": {"credit": "加大信贷支持力度"},
        "target_group": {
            "sme": "提高优质中小企业的信用评分和贷款可得性",
            "small-micro": "受疫情影响暂遇困难的中小微企业",
            "hard-hit": "为受疫情影响较大的企业提供应急转贷资金支持",
        },
    },
    9: {
        "topic": {"financing-guarantee": "强化融资担保服务"},
        "target_group": {"small-micro": "对于确无还款能力的小微企业"},
    },
    10: {
        "topic": {
            "financing-services": "供应链金融、商业保理、应收账款抵质押、知识产权质押等融资方式",
            "credit": "开放信贷、保险理赔绿色通道，加快放贷速度",
        },
        "target_group": {
            "sme": "扩大对中小企业的融资供给",
            "small-micro": "适合中小微企业的融资产品",
        },
    },
    11: {
        "topic": {"equity-investment": "加快推进股权投资及服务"},
        "target_group": {
            "sme": "扩大对中小企业的股权融资规模",
            "innovative-growth": "创新型、成长型中小企业",
            "hard-hit": "受疫情影响暂时出现困难的创新型、成长型中小企业",
        },
    },
    12: {
        "topic": {
            "innovation": "开展技术攻关和生产创新",
            "anti-epidemic-supplies": "在检测技术、药物疫苗、医疗器械、防护装备等方面",
        },
        "target_group": {
            "specialised-sophisticated": "“专精特新”小巨人企业和“专精特新”中小企业",
            "sme": "“创客中国”中小企业创新创业大赛",
        },
    },
    13: {
        "topic": {"digital-transformation": "支持企业数字化转型"},
        "target_group": {"sme": "大力推广面向中小企业的互联网平台服务"},
    },
    14: {
        "topic": {
            "smart-manufacturing": "支持企业提升智能制造水平",
            "digital-transformation": "推动中小企业业务系统云化部署，对接工业互联网平台",
        },
        "target_group": {"sme": "面向中小企业推出云制造平台和云服务平台"},
    },
    15: {
        "topic": {
            "large-small-collaboration": "促进大中小企业融通创新发展",
            "innovation": "技术创新",
            "epidemic-control": "协同开展疫情防控",
            "resumption": "生产恢复",
        },
        "target_group": {"sme": "带动产业链中小企业"},
    },
    16: {
        "topic": {
            "public-services": "发挥中小企业公共服务平台作用",
            "cost-relief": "适当减免或延期收取中小企业的租金、物业管理和其他费用",
        },
        "target_group": {"sme": "为中小企业提供优质高效的线上服务"},
    },
    17: {
        "topic": {
            "training": "加强培训服务",
            "resumption": "为企业恢复正常生产经营做好各项准备工作",
        },
        "target_group": {"sme": "给中小企业送政策、送技术、送管理"},
    },
    18: {
        "topic": {"legal-services": "加强涉疫情相关法律服务"},
        "target_group": {
            "sme": "积极为中小企业提供法律援助和法律咨询公益服务",
            "foreign-trade": "因疫情导致外贸订单无法如期履行或不能履行的中小企业",
            "hard-hit": "确因疫情影响无法正常履行相关义务的企业",
        },
    },
    19: {
        "topic": {
            "coordination": "发挥各级促进中小企业发展工作协调机制作用",
            "cost-relief": "减轻企业负担、降低生产成本",
            "labour": "稳定人员就业",
            "factor-supply": "保障要素供给",
            "resumption": "有序复工复产",
        },
        "target_group": {"sme": "帮助广大中小企业树立信心"},
    },
    20: {
        "topic": {
            "coordination": "加强部门协调，形成工作合力",
            "publicity": "加强舆论宣传工作",
            "resumption": "推动解决企业复工复产过程中遇到的突出问题",
        },
        "target_group": {"sme": "引导中小企业坚定信心"},
    },
}

# The rule each review decision follows, written into the classification's description.
DESCRIPTIONS = {
    ("Topic", "resumption"): (
        "推动、指导或帮助企业有序复工复产的措施：条文写明复工复产、复产、生产恢复或恢复正常生产经营的（如第15条“生产恢复”、第17条“为企业恢复正常生产经营做好各项准备工作”）。"
    ),
    ("Topic", "digital-transformation"): (
        "互联网平台服务、线上办公、5G与工业互联网应用、工业软件：条文写明互联网平台、网上办公、工业互联网、工业软件或业务系统云化部署的（如第14条“对接工业互联网平台”）。"
    ),
    ("TargetGroup", "sme"): (
        "措施面向中小企业：条文点名中小企业为支持、服务对象（含“专精特新”中小企业、“创客中国”中小企业创新创业大赛）。只出现“中小企业主管部门”（执行者，不是对象）的、只写“企业”或“小微企业”的不归此类；通知标题虽为帮助中小企业，每条仍以本条原文为准。"
    ),
    ("TargetGroup", "key-epidemic-enterprises"): (
        "正文点名纳入疫情防控重点保障企业名单的企业，或点名疫情防控必需的重点企业（如第1条）。只说“重点企业”而不及疫情防控的，不归此类。"
    ),
    ("TargetGroup", "hard-hit"): (
        "正文点名受疫情影响严重、较大，暂遇（暂时出现）困难，或确因疫情无法正常履行义务的企业。泛称“受疫情影响的企业”（如第17条）不归此类。"
    ),
}

KINDS = {
    "topic": ("MeasureTopic", "Topic"),
    "target_group": ("MeasureTargetGroup", "TargetGroup"),
    "region": ("MeasureRegion", "Region"),
}


def apply_review(apps, schema_editor):
    Measure = apps.get_model("policies", "Measure")
    measures = {
        m.number: m for m in Measure.objects.filter(notice__slug=SEED_NOTICE, number__in=EVIDENCE)
    }
    if not measures:
        return
    for (model_name, slug), description in DESCRIPTIONS.items():
        apps.get_model("policies", model_name).objects.filter(slug=slug).update(
            description=description
        )
    for kind, (through_name, term_name) in KINDS.items():
        Through = apps.get_model("policies", through_name)
        Term = apps.get_model("policies", term_name)
        terms = {t.slug: t for t in Term.objects.all()}
        for number, measure in measures.items():
            wanted = {
                slug: evidence
                for slug, evidence in EVIDENCE[number].get(kind, {}).items()
                if slug in terms
            }
            Through.objects.filter(measure=measure).exclude(
                **{f"{kind}__slug__in": list(wanted)}
            ).delete()
            for slug, evidence in wanted.items():
                Through.objects.update_or_create(
                    measure=measure, **{kind: terms[slug]}, defaults={"evidence": evidence}
                )


class Migration(migrations.Migration):
    dependencies = [
        ("policies", "0008_notice_library_and_drafts"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="MeasureTopic",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        (
                            "measure",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="topic_assignments",
                                to="policies.measure",
                                verbose_name="措施",
                            ),
                        ),
                        (
                            "topic",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                to="policies.topic",
                                verbose_name="政策工具/主题",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "措施的主题",
                        "verbose_name_plural": "措施的主题",
                        "db_table": "policies_measure_topics",
                        "ordering": ["measure", "topic__position", "topic__slug"],
                        # As Django made the table for the plain many-to-many field.
                        "unique_together": {("measure", "topic")},
                    },
                ),
                migrations.CreateModel(
                    name="MeasureTargetGroup",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        (
                            "measure",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="target_group_assignments",
                                to="policies.measure",
                                verbose_name="措施",
                            ),
                        ),
                        (
                            "target_group",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                db_column="targetgroup_id",
                                to="policies.targetgroup",
                                verbose_name="支持对象",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "措施的支持对象",
                        "verbose_name_plural": "措施的支持对象",
                        "db_table": "policies_measure_target_groups",
                        "ordering": ["measure", "target_group__position", "target_group__slug"],
                        # As Django made the table for the plain many-to-many field.
                        "unique_together": {("measure", "target_group")},
                    },
                ),
                migrations.CreateModel(
                    name="MeasureRegion",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        (
                            "measure",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="region_assignments",
                                to="policies.measure",
                                verbose_name="措施",
                            ),
                        ),
                        (
                            "region",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                to="policies.region",
                                verbose_name="地区",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "措施的点名地区",
                        "verbose_name_plural": "措施的点名地区",
                        "db_table": "policies_measure_regions",
                        "ordering": ["measure", "region__position", "region__slug"],
                        # As Django made the table for the plain many-to-many field.
                        "unique_together": {("measure", "region")},
                    },
                ),
                migrations.AlterField(
                    model_name="measure",
                    name="topics",
                    field=models.ManyToManyField(
                        blank=True,
                        related_name="measures",
                        through="policies.MeasureTopic",
                        to="policies.topic",
                        verbose_name="政策工具/主题",
                    ),
                ),
                migrations.AlterField(
                    model_name="measure",
                    name="target_groups",
                    field=models.ManyToManyField(
                        blank=True,
                        related_name="measures",
                        through="policies.MeasureTargetGroup",
                        to="policies.targetgroup",
                        verbose_name="支持对象",
                    ),
                ),
                migrations.AlterField(
                    model_name="measure",
                    name="regions",
                    field=models.ManyToManyField(
                        blank=True,
                        help_text="正文点名的省、市。",
                        related_name="measures",
                        through="policies.MeasureRegion",
                        to="policies.region",
                        verbose_name="地区",
                    ),
                ),
            ],
        ),
        migrations.AddField(
            model_name="measuretopic",
            name="evidence",
            field=models.CharField(
                default="",
                help_text=EVIDENCE_HELP,
                max_length=200,
                verbose_name="依据",
            ),
            preserve_default=False,
        ),
        migrations.AlterUniqueTogether(name="measuretopic", unique_together=set()),
        migrations.AddConstraint(
            model_name="measuretopic",
            constraint=models.UniqueConstraint(
                fields=("measure", "topic"), name="measure_topic_once"
            ),
        ),
        migrations.AddField(
            model_name="measuretargetgroup",
            name="evidence",
            field=models.CharField(
                default="",
                help_text=EVIDENCE_HELP,
                max_length=200,
                verbose_name="依据",
            ),
            preserve_default=False,
        ),
        migrations.AlterUniqueTogether(name="measuretargetgroup", unique_together=set()),
        migrations.AddConstraint(
            model_name="measuretargetgroup",
            constraint=models.UniqueConstraint(
                fields=("measure", "target_group"), name="measure_target_group_once"
            ),
        ),
        migrations.AddField(
            model_name="measureregion",
            name="evidence",
            field=models.CharField(
                default="",
                help_text=EVIDENCE_HELP,
                max_length=200,
                verbose_name="依据",
            ),
            preserve_default=False,
        ),
        migrations.AlterUniqueTogether(name="measureregion", unique_together=set()),
        migrations.AddConstraint(
            model_name="measureregion",
            constraint=models.UniqueConstraint(
                fields=("measure", "region"), name="measure_region_once"
            ),
        ),
        migrations.RunPython(apply_review, migrations.RunPython.noop),
    ]
