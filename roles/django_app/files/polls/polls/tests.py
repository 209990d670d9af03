# Django test cases use unittest-style assertions.
# ruff: noqa: PT009
import datetime

from django.test import TestCase
from django.urls import reverse
from django.utils import timezone

from polls.models import Choice, Question


def create_question(question_text, days):
    """A question published `days` from now (negative: in the past)."""
    when = timezone.now() + datetime.timedelta(days=days)
    return Question.objects.create(question_text=question_text, pub_date=when)


class QuestionModelTests(TestCase):
    def test_was_published_recently_with_future_question(self):
        future = Question(pub_date=timezone.now() + datetime.timedelta(days=30))
        self.assertIs(future.was_published_recently(), False)

    def test_was_published_recently_with_old_question(self):
        old = Question(pub_date=timezone.now() - datetime.timedelta(days=1, seconds=1))
        self.assertIs(old.was_published_recently(), False)

    def test_was_published_recently_with_recent_question(self):
        recent = Question(pub_date=timezone.now() - datetime.timedelta(hours=23, minutes=59, seconds=59))
        self.assertIs(recent.was_published_recently(), True)

    def test_str_methods(self):
        question = create_question("Tea or coffee?", days=-1)
        choice = Choice.objects.create(question=question, choice_text="Tea")
        self.assertEqual(str(question), "Tea or coffee?")
        self.assertEqual(str(choice), "Tea")


class QuestionIndexViewTests(TestCase):
    def test_no_questions(self):
        response = self.client.get(reverse("polls:index"))
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "No polls are available.")
        self.assertQuerySetEqual(response.context["latest_question_list"], [])

    def test_past_question(self):
        question = create_question("Past question.", days=-30)
        response = self.client.get(reverse("polls:index"))
        self.assertQuerySetEqual(response.context["latest_question_list"], [question])

    def test_future_question(self):
        create_question("Future question.", days=30)
        response = self.client.get(reverse("polls:index"))
        self.assertContains(response, "No polls are available.")
        self.assertQuerySetEqual(response.context["latest_question_list"], [])

    def test_future_question_and_past_question(self):
        question = create_question("Past question.", days=-30)
        create_question("Future question.", days=30)
        response = self.client.get(reverse("polls:index"))
        self.assertQuerySetEqual(response.context["latest_question_list"], [question])

    def test_two_past_questions(self):
        older = create_question("Past question 1.", days=-30)
        newer = create_question("Past question 2.", days=-5)
        response = self.client.get(reverse("polls:index"))
        self.assertQuerySetEqual(response.context["latest_question_list"], [newer, older])

    def test_only_the_five_latest_questions(self):
        questions = [create_question(f"Question {n}.", days=-n) for n in range(1, 8)]
        response = self.client.get(reverse("polls:index"))
        self.assertQuerySetEqual(response.context["latest_question_list"], questions[:5])


class QuestionDetailViewTests(TestCase):
    def test_future_question(self):
        future = create_question("Future question.", days=5)
        response = self.client.get(reverse("polls:detail", args=(future.id,)))
        self.assertEqual(response.status_code, 404)

    def test_past_question(self):
        past = create_question("Past Question.", days=-5)
        Choice.objects.create(question=past, choice_text="Yes")
        response = self.client.get(reverse("polls:detail", args=(past.id,)))
        self.assertContains(response, past.question_text)
        self.assertContains(response, 'name="choice"')
        self.assertContains(response, "csrfmiddlewaretoken")


class QuestionResultsViewTests(TestCase):
    def test_future_question(self):
        future = create_question("Future question.", days=5)
        response = self.client.get(reverse("polls:results", args=(future.id,)))
        self.assertEqual(response.status_code, 404)

    def test_past_question(self):
        past = create_question("Past question.", days=-5)
        Choice.objects.create(question=past, choice_text="Maybe", votes=2)
        response = self.client.get(reverse("polls:results", args=(past.id,)))
        self.assertContains(response, "Maybe -- 2 votes")


class VoteViewTests(TestCase):
    def setUp(self):
        self.question = create_question("Favourite colour?", days=-1)
        self.red = Choice.objects.create(question=self.question, choice_text="Red")
        self.blue = Choice.objects.create(question=self.question, choice_text="Blue")
        self.url = reverse("polls:vote", args=(self.question.id,))

    def test_vote_increments_the_count(self):
        response = self.client.post(self.url, {"choice": self.red.id})
        self.assertRedirects(response, reverse("polls:results", args=(self.question.id,)))
        self.red.refresh_from_db()
        self.blue.refresh_from_db()
        self.assertEqual(self.red.votes, 1)
        self.assertEqual(self.blue.votes, 0)
        self.client.post(self.url, {"choice": self.red.id})
        self.red.refresh_from_db()
        self.assertEqual(self.red.votes, 2)

    def test_vote_without_choice_shows_the_error(self):
        response = self.client.post(self.url, {})
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "You didn&#x27;t select a choice.")
        self.assertEqual(response.context["error_message"], "You didn't select a choice.")
        self.assertEqual(sum(Choice.objects.values_list("votes", flat=True)), 0)

    def test_vote_with_unknown_choice_shows_the_error(self):
        for bad in (self.red.id + self.blue.id + 100, "not-a-number"):
            response = self.client.post(self.url, {"choice": bad})
            self.assertEqual(response.context["error_message"], "You didn't select a choice.")
        self.assertEqual(sum(Choice.objects.values_list("votes", flat=True)), 0)

    def test_vote_for_a_choice_of_another_question_is_refused(self):
        other = create_question("Other?", days=-1)
        foreign = Choice.objects.create(question=other, choice_text="Elsewhere")
        response = self.client.post(self.url, {"choice": foreign.id})
        self.assertEqual(response.context["error_message"], "You didn't select a choice.")
        foreign.refresh_from_db()
        self.assertEqual(foreign.votes, 0)

    def test_vote_on_a_future_question_is_not_found(self):
        future = create_question("Later?", days=5)
        choice = Choice.objects.create(question=future, choice_text="Now")
        response = self.client.post(reverse("polls:vote", args=(future.id,)), {"choice": choice.id})
        self.assertEqual(response.status_code, 404)
