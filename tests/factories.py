"""factory-boy factories for the service desk (other apps add their own modules)."""

import factory
from django.contrib.auth import get_user_model

from backoffice.desk import workflows as wf
from backoffice.desk.models import Contact, Customer, Product, ProductVersion, Ticket


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    is_staff = True


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    code = factory.Sequence(lambda n: f"C{n:05d}")
    name = factory.Sequence(lambda n: f"测试客户{n}有限公司")
    address = "北京市海淀区"


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contact

    customer = factory.SubFactory(CustomerFactory)
    name = factory.Sequence(lambda n: f"联系人{n}")


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product

    code = factory.Sequence(lambda n: f"P{n:03d}")
    name = factory.Sequence(lambda n: f"产品{n}")


class ProductVersionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProductVersion

    product = factory.SubFactory(ProductFactory)
    version = factory.Sequence(lambda n: f"1.{n}")


class TicketFactory(factory.django.DjangoModelFactory):
    """A ticket; pass ``state=...`` to start it elsewhere than "new" (set before save)."""

    class Meta:
        model = Ticket

    customer = factory.SubFactory(CustomerFactory)
    category = wf.Category.BUG
    priority = wf.Priority.NORMAL
    subject = factory.Sequence(lambda n: f"问题{n}")
    description = "系统报错"
